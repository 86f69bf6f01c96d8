/* astro-sign-in-page.h: the welcome page that signs in to a team server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-account.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_SIGN_IN_PAGE (astro_sign_in_page_get_type ())

G_DECLARE_FINAL_TYPE (AstroSignInPage, astro_sign_in_page, ASTRO, SIGN_IN_PAGE, AdwBin)

void astro_sign_in_page_set_store  (AstroSignInPage *self,
                                    AstroStore      *store);
void astro_sign_in_page_set_server (AstroSignInPage *self,
                                    const char      *server_url);

G_END_DECLS
