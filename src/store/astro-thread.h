/* astro-thread.h: background threads that leave the CPU to the UI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void astro_thread_lower_priority (void);

G_END_DECLS
