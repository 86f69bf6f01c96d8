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

G_END_DECLS
