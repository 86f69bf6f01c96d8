/* astro-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-store.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_APPLICATION (astro_application_get_type ())

G_DECLARE_FINAL_TYPE (AstroApplication, astro_application, ASTRO, APPLICATION, AdwApplication)

AstroApplication *astro_application_new       (void);
AstroStore       *astro_application_get_store (AstroApplication *self);

G_END_DECLS
