/* astro-bench-probe.h: figures for the UI benchmarks, only when asked
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void astro_bench_probe_attach (GtkWindow  *window);
void astro_bench_probe_mark   (const char *what);

G_END_DECLS
