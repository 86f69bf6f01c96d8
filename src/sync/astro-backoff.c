/* astro-backoff.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>

#include "astro-backoff.h"

#define RETRY_AFTER_CAP_MS (3600u * 1000u)

void
astro_backoff_init (AstroBackoff *self,
                    guint         initial_ms,
                    guint         max_ms)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (initial_ms > 0 && max_ms >= initial_ms);

  self->initial_ms = initial_ms;
  self->max_ms = max_ms;
  self->ceiling_ms = 0;
  self->attempts = 0;
  self->rand = g_rand_new ();
}

void
astro_backoff_clear (AstroBackoff *self)
{
  g_clear_pointer (&self->rand, g_rand_free);
}

/* Returns how long to wait before the next try, and moves the ceiling up. */
guint
astro_backoff_next (AstroBackoff *self,
                    guint         retry_after_ms)
{
  guint wait;

  g_return_val_if_fail (self != NULL && self->rand != NULL, 0);

  if (self->ceiling_ms == 0)
    self->ceiling_ms = self->initial_ms;

  wait = (guint) g_rand_int_range (self->rand, 0, (gint32) MIN (self->ceiling_ms, (guint) G_MAXINT32));
  wait = MAX (wait, MIN (retry_after_ms, RETRY_AFTER_CAP_MS));

  self->ceiling_ms = MIN ((guint64) self->ceiling_ms * 2, self->max_ms);
  self->attempts++;

  return wait;
}

void
astro_backoff_reset (AstroBackoff *self)
{
  g_return_if_fail (self != NULL);

  self->ceiling_ms = 0;
  self->attempts = 0;
}

/* Retry-After is either seconds or an HTTP date; 0 when absent or unreadable. */
guint
astro_backoff_parse_retry_after (const char *value,
                                 gint64      now_unix)
{
  g_autoptr(GDateTime) when = NULL;
  char *end = NULL;
  guint64 seconds;

  if (value == NULL || *value == '\0')
    return 0;

  seconds = g_ascii_strtoull (value, &end, 10);
  if (end != value && *end == '\0')
    return (guint) MIN (seconds * 1000, RETRY_AFTER_CAP_MS);

  /* "Wed, 21 Oct 2015 07:28:00 GMT": GLib has no RFC 1123 parser, so read it by hand */
  {
    static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    char month[4] = { 0 };
    int day, year, hour, minute, second;

    if (sscanf (value, "%*3s, %d %3s %d %d:%d:%d GMT", &day, month, &year, &hour, &minute, &second) != 6)
      return 0;
    for (guint i = 0; i < G_N_ELEMENTS (months); i++)
      if (g_str_equal (month, months[i]))
        when = g_date_time_new_utc (year, i + 1, day, hour, minute, second);
  }

  if (when == NULL || g_date_time_to_unix (when) <= now_unix)
    return 0;

  return (guint) MIN ((guint64) (g_date_time_to_unix (when) - now_unix) * 1000, RETRY_AFTER_CAP_MS);
}
