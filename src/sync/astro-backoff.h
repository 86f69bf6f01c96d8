/* astro-backoff.h: how long to wait before retrying a failed request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Full jitter: each wait is a random time up to a ceiling that doubles from
 * initial_ms to max_ms, never less than what the server asked (Retry-After). */
typedef struct
{
  guint   initial_ms;
  guint   max_ms;
  guint   ceiling_ms;   /* the next ceiling; 0 before the first failure */
  guint   attempts;     /* failures in a row */
  GRand  *rand;
} AstroBackoff;

void  astro_backoff_init      (AstroBackoff *self,
                               guint         initial_ms,
                               guint         max_ms);
void  astro_backoff_clear     (AstroBackoff *self);
guint astro_backoff_next      (AstroBackoff *self,
                               guint         retry_after_ms);
void  astro_backoff_reset     (AstroBackoff *self);
guint astro_backoff_parse_retry_after (const char *value,
                                       gint64      now_unix);

G_END_DECLS
