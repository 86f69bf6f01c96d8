/* astro-thread.h: background threads that leave the CPU to the UI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void astro_thread_lower_priority    (void);
void astro_thread_run_in_background (GTask           *task,
                                     GTaskThreadFunc  func);

void astro_thread_post              (GMainContext    *context,
                                     GSourceFunc      func,
                                     gpointer         data,
                                     GDestroyNotify   destroy);
void astro_thread_return_pointer    (GTask           *task,
                                     gpointer         result,
                                     GDestroyNotify   result_destroy);
void astro_thread_return_int        (GTask           *task,
                                     gssize           result);
void astro_thread_return_boolean    (GTask           *task,
                                     gboolean         result);
void astro_thread_return_error      (GTask           *task,
                                     GError          *error);

G_END_DECLS
