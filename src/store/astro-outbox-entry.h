/* astro-outbox-entry.h: one write waiting in (or gone through) the outbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  ASTRO_WRITE_CREATE,
  ASTRO_WRITE_UPDATE,
  ASTRO_WRITE_DELETE,
} AstroWriteKind;

/* States, as stored: "pending" (queued, maybe tried and to be retried),
 * "sending" (a request is in flight), "sent" (answered with a txid, waiting
 * for it on the shapes), "settled", "failed" (refused; the overlay is gone). */
#define ASTRO_OUTBOX_PENDING  "pending"
#define ASTRO_OUTBOX_SENDING  "sending"
#define ASTRO_OUTBOX_SENT     "sent"
#define ASTRO_OUTBOX_SETTLED  "settled"
#define ASTRO_OUTBOX_FAILED   "failed"

typedef struct
{
  gint64          id;
  AstroWriteKind  kind;
  char           *idempotency_key;
  char           *method;
  char           *path;
  char           *payload;          /* the request body, JSON; NULL for none */
  char           *row_table;
  char           *row_id;
  char           *overlay;          /* JSON {column: text|null} shown until settled */
  char           *state;
  int             attempts;
  char           *last_error;
  char           *txid;
  char           *created_at;
  gint64          next_attempt_at;  /* real µs; 0: at once */
  gint64          answered_at;      /* real µs; 0: not answered */
  gint64          refetch_at;       /* real µs a refetch was asked for; 0: never */
  int             http_status;      /* the last answer's; 0: none */
} AstroOutboxEntry;

AstroOutboxEntry *astro_outbox_entry_new          (void);
void              astro_outbox_entry_free         (AstroOutboxEntry *self);
const char       *astro_write_kind_to_string      (AstroWriteKind    kind);
AstroWriteKind    astro_write_kind_from_string    (const char       *kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroOutboxEntry, astro_outbox_entry_free)

G_END_DECLS
