/* astro-task-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rows are recycled by the list view: a row follows whichever task it is
 * given, and refreshes itself when that task's properties change.
 *
 * A row is one widget that draws its columns itself. GTK 4.8's list view
 * keeps about 200 rows around what is shown and makes them anew whenever its
 * model is replaced (an organization switch, a search): with a label per
 * column, building, styling and measuring those labels took most of a
 * switch. Here the height comes from the font alone, and text is only laid
 * out for the rows that are drawn. The work on a task and its assignee's name
 * come from an #AstroTaskContext the rows share, not from the database.
 */
#define G_LOG_DOMAIN "astro-task-row"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "astro-task-row.h"

/* Column widths in characters, as GtkLabel's width-chars counts them */
#define KEY_CHARS        8
#define STATUS_CHARS     11
#define TITLE_MIN_CHARS  12
#define TITLE_NAT_CHARS  40
#define TITLE_KEEP_CHARS 24   /* narrower, the columns on the right give way */
#define PRIORITY_CHARS   7
#define ASSIGNEE_CHARS   14
#define WORK_CHARS       20

#define SPACING          12
#define MARGIN_X         12
#define MARGIN_Y         9
#define PILL_PADDING_X   6
#define PILL_PADDING_Y   1
#define DIM_OPACITY      0.55

typedef enum {
  COLUMN_KEY,
  COLUMN_STATUS,
  COLUMN_TITLE,
  COLUMN_PRIORITY,
  COLUMN_ASSIGNEE,
  COLUMN_WORKSPACES,
  COLUMN_PR,
  N_COLUMNS
} Column;

struct _AstroTaskRow
{
  GtkWidget     parent_instance;

  AstroTaskContext *context;
  AstroTask    *task;
  GSignalGroup *task_signals;

  /* What each column says; a layout is made from it when the row is drawn */
  char         *text[N_COLUMNS];
  PangoLayout  *layout[N_COLUMNS];
  GdkRGBA       status_color;
  gboolean      has_status_color;
  char         *pr_status;
  char         *accessible_label;  /* as last given to accessible_target */
  GtkWidget    *accessible_target;
};

G_DEFINE_FINAL_TYPE (AstroTaskRow, astro_task_row, GTK_TYPE_WIDGET)

/* Every row shares one font, so its measure is kept once for all of them */
typedef struct
{
  PangoFontDescription *font;
  double                resolution;
  int                   char_px;
  int                   line_px;
} Metrics;

static Metrics metrics;

/*
 * Auxiliary methods
 */

const char *
astro_priority_to_string (int priority)
{
  switch (priority)
    {
    case 1: return _("Urgent");
    case 2: return _("High");
    case 3: return _("Medium");
    case 4: return _("Low");
    default: return "";
    }
}

static gboolean
is_hex_color (const char *color)
{
  if (color == NULL || color[0] != '#' || strlen (color) != 7)
    return FALSE;
  for (guint i = 1; i < 7; i++)
    if (!g_ascii_isxdigit (color[i]))
      return FALSE;
  return TRUE;
}

static const Metrics *
get_metrics (AstroTaskRow *self)
{
  PangoContext *context = gtk_widget_get_pango_context (GTK_WIDGET (self));
  const PangoFontDescription *font = pango_context_get_font_description (context);
  double resolution = pango_cairo_context_get_resolution (context);
  PangoFontMetrics *font_metrics;
  int char_width, height;

  if (metrics.font != NULL && metrics.resolution == resolution &&
      pango_font_description_equal (metrics.font, font))
    return &metrics;

  font_metrics = pango_context_get_metrics (context, NULL, NULL);
  char_width = MAX (pango_font_metrics_get_approximate_char_width (font_metrics),
                    pango_font_metrics_get_approximate_digit_width (font_metrics));
  height = pango_font_metrics_get_height (font_metrics);
  if (height <= 0)
    height = pango_font_metrics_get_ascent (font_metrics) + pango_font_metrics_get_descent (font_metrics);
  pango_font_metrics_unref (font_metrics);

  g_clear_pointer (&metrics.font, pango_font_description_free);
  metrics.font = pango_font_description_copy (font);
  metrics.resolution = resolution;
  metrics.char_px = PANGO_PIXELS_CEIL (char_width);
  metrics.line_px = PANGO_PIXELS_CEIL (height);

  return &metrics;
}

static void
clear_layouts (AstroTaskRow *self)
{
  for (guint i = 0; i < N_COLUMNS; i++)
    g_clear_object (&self->layout[i]);
}

static void
set_text (AstroTaskRow *self,
          Column        column,
          char         *text)
{
  if (g_strcmp0 (self->text[column], text) == 0)
    {
      g_free (text);
      return;
    }

  g_free (self->text[column]);
  self->text[column] = text;
  g_clear_object (&self->layout[column]);
}

static char *
describe_pr (const char *pr_status)
{
  if (pr_status == NULL)
    return NULL;
  if (g_str_equal (pr_status, "open"))
    return g_strdup (_("PR open"));
  if (g_str_equal (pr_status, "draft"))
    return g_strdup (_("PR draft"));
  if (g_str_equal (pr_status, "merged"))
    return g_strdup (_("PR merged"));
  if (g_str_equal (pr_status, "closed"))
    return g_strdup (_("PR closed"));
  return g_strdup (_("PR"));
}

/* The list item around the row is what a screen reader lands on, so it
 * carries the row's words: the key and title first, the dot left out (it is
 * only a colour). */
static void
update_accessible (AstroTaskRow *self)
{
  static const Column order[] = {
    COLUMN_KEY, COLUMN_TITLE, COLUMN_STATUS, COLUMN_PRIORITY, COLUMN_ASSIGNEE, COLUMN_WORKSPACES, COLUMN_PR,
  };
  g_autoptr(GString) text = g_string_new (NULL);
  GtkWidget *item = gtk_widget_get_parent (GTK_WIDGET (self));
  GtkWidget *target = item != NULL ? item : GTK_WIDGET (self);

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      const char *part = self->text[order[i]];

      if (order[i] == COLUMN_STATUS && part != NULL)
        part += strlen ("● ");
      if (part == NULL || part[0] == '\0')
        continue;
      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append (text, part);
    }

  /* A task's properties notify one by one; each change of the label is a
   * message on the accessibility bus, so only a new one is sent. */
  if (target == self->accessible_target && g_strcmp0 (text->str, self->accessible_label) == 0)
    return;

  g_free (self->accessible_label);
  self->accessible_label = g_strdup (text->str);
  self->accessible_target = target;
  gtk_accessible_update_property (GTK_ACCESSIBLE (target), GTK_ACCESSIBLE_PROPERTY_LABEL, text->str, -1);
}

static void
update_work (AstroTaskRow *self)
{
  const AstroTaskWork *work = self->context != NULL
    ? astro_task_context_get_work (self->context, astro_task_get_id (self->task))
    : NULL;
  guint n_workspaces = work != NULL ? work->n_workspaces : 0;

  set_text (self, COLUMN_WORKSPACES,
            n_workspaces > 0
              ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u workspace", "%u workspaces", n_workspaces),
                                 n_workspaces)
              : NULL);
  g_free (self->pr_status);
  self->pr_status = work != NULL ? g_strdup (work->pr_status) : NULL;
  set_text (self, COLUMN_PR, describe_pr (self->pr_status));
}

static void
update (AstroTaskRow *self)
{
  const char *assignee_id;
  const char *assignee;
  const char *color;

  if (self->task == NULL)
    return;

  set_text (self, COLUMN_KEY, g_strdup (astro_task_get_key (self->task)));
  set_text (self, COLUMN_TITLE, g_strdup (astro_task_get_title (self->task)));
  set_text (self, COLUMN_PRIORITY, g_strdup (astro_priority_to_string (astro_task_get_priority (self->task))));
  set_text (self, COLUMN_STATUS, g_strdup_printf ("● %s", astro_task_get_status (self->task) ? astro_task_get_status (self->task) : ""));

  /* the status keeps the team's colour on its dot; colours from the server
   * are checked before they are used */
  color = astro_task_get_status_color (self->task);
  self->has_status_color = is_hex_color (color) && gdk_rgba_parse (&self->status_color, color);
  g_clear_object (&self->layout[COLUMN_STATUS]);

  assignee_id = astro_task_get_assignee_id (self->task);
  assignee = self->context != NULL ? astro_task_context_get_user_name (self->context, assignee_id) : NULL;
  if (assignee == NULL)
    assignee = assignee_id != NULL ? _("Unknown") : _("Unassigned");
  set_text (self, COLUMN_ASSIGNEE, g_strdup (assignee));

  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static PangoLayout *
ensure_layout (AstroTaskRow *self,
               Column        column)
{
  PangoAttrList *attrs;
  PangoLayout *layout;

  if (self->layout[column] != NULL)
    return self->layout[column];
  if (self->text[column] == NULL || self->text[column][0] == '\0')
    return NULL;

  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), self->text[column]);
  pango_layout_set_single_paragraph_mode (layout, TRUE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);

  attrs = pango_attr_list_new ();
  if (column == COLUMN_STATUS && self->has_status_color)
    {
      PangoAttribute *dot = pango_attr_foreground_new (self->status_color.red * 65535,
                                                       self->status_color.green * 65535,
                                                       self->status_color.blue * 65535);
      dot->end_index = strlen ("●");
      pango_attr_list_insert (attrs, dot);
    }
  if (column == COLUMN_PRIORITY || column == COLUMN_WORKSPACES || column == COLUMN_PR)
    pango_attr_list_insert (attrs, pango_attr_scale_new (PANGO_SCALE_SMALL));
  if (column == COLUMN_KEY)
    pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);

  self->layout[column] = layout;
  return layout;
}

static void
pr_color (const char *pr_status,
          GdkRGBA    *color)
{
  /* GNOME's palette: green 5, purple 3, red 3 */
  if (g_strcmp0 (pr_status, "open") == 0)
    gdk_rgba_parse (color, "#26a269");
  else if (g_strcmp0 (pr_status, "merged") == 0)
    gdk_rgba_parse (color, "#9141ac");
  else if (g_strcmp0 (pr_status, "closed") == 0)
    gdk_rgba_parse (color, "#e01b24");
}

/* @column's layout, ellipsized to @width; NULL if it has no text or no room */
static PangoLayout *
layout_at_width (AstroTaskRow   *self,
                 Column          column,
                 int             width,
                 PangoRectangle *extents)
{
  PangoLayout *layout = ensure_layout (self, column);

  if (layout == NULL || width <= 0)
    return NULL;

  if (pango_layout_get_width (layout) != width * PANGO_SCALE)
    pango_layout_set_width (layout, width * PANGO_SCALE);
  pango_layout_get_pixel_extents (layout, NULL, extents);

  return layout;
}

/* Draws @column's text at @x (from the start edge), at most @width wide and
 * centred on the row's height; returns the width it took. */
static int
draw_text (AstroTaskRow   *self,
           GtkSnapshot    *snapshot,
           Column          column,
           int             x,
           int             width,
           const GdkRGBA  *color)
{
  PangoRectangle extents;
  PangoLayout *layout = layout_at_width (self, column, width, &extents);
  int row_width = gtk_widget_get_width (GTK_WIDGET (self));

  if (layout == NULL)
    return 0;

  if (gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL)
    x = row_width - x - extents.width;

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x - extents.x,
                                                          (gtk_widget_get_height (GTK_WIDGET (self)) - extents.height) / 2));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);

  return extents.width;
}

/* A rounded badge behind @column's text, tinted with @tint */
static int
draw_pill (AstroTaskRow   *self,
           GtkSnapshot    *snapshot,
           Column          column,
           int             x,
           int             width,
           const GdkRGBA  *tint)
{
  GdkRGBA background = *tint;
  PangoRectangle extents;
  PangoLayout *layout = layout_at_width (self, column, width - 2 * PILL_PADDING_X, &extents);
  GskRoundedRect pill;
  int row_width = gtk_widget_get_width (GTK_WIDGET (self));
  int pill_x, pill_width, pill_height;

  /* a badge is read whole or not at all */
  if (layout == NULL || pango_layout_is_ellipsized (layout))
    return 0;

  pill_width = extents.width + 2 * PILL_PADDING_X;
  pill_height = extents.height + 2 * PILL_PADDING_Y;
  pill_x = gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL ? row_width - x - pill_width : x;

  background.alpha *= 0.12;
  gsk_rounded_rect_init_from_rect (&pill,
                                   &GRAPHENE_RECT_INIT (pill_x, (gtk_widget_get_height (GTK_WIDGET (self)) - pill_height) / 2,
                                                        pill_width, pill_height),
                                   pill_height / 2.0);
  gtk_snapshot_push_rounded_clip (snapshot, &pill);
  gtk_snapshot_append_color (snapshot, &background, &pill.bounds);
  gtk_snapshot_pop (snapshot);

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (pill_x + PILL_PADDING_X - extents.x,
                                                          pill.bounds.origin.y + PILL_PADDING_Y));
  gtk_snapshot_append_layout (snapshot, layout, tint);
  gtk_snapshot_restore (snapshot);

  return pill_width;
}

/*
 * Signal callbacks
 */

static void
on_task_notify_cb (AstroTaskRow *self)
{
  update (self);
}

/* @task_ids: the tasks whose work changed; NULL if names did */
static void
on_context_changed_cb (AstroTaskRow *self,
                       GHashTable   *task_ids)
{
  if (self->task == NULL)
    return;

  if (task_ids == NULL)
    {
      update (self);
      return;
    }

  if (!g_hash_table_contains (task_ids, astro_task_get_id (self->task)))
    return;

  update_work (self);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/*
 * GtkWidget overrides
 */

static void
astro_task_row_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  const Metrics *m = get_metrics (ASTRO_TASK_ROW (widget));

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      int optional = PRIORITY_CHARS + ASSIGNEE_CHARS + WORK_CHARS;

      /* a narrow window (a phone's width) keeps the key, status and title */
      *minimum = 2 * MARGIN_X + 2 * SPACING + (KEY_CHARS + STATUS_CHARS + TITLE_MIN_CHARS) * m->char_px;
      *natural = 2 * MARGIN_X + 5 * SPACING + (KEY_CHARS + STATUS_CHARS + optional + TITLE_NAT_CHARS) * m->char_px;
    }
  else
    {
      *minimum = *natural = 2 * MARGIN_Y + m->line_px;
    }
}

static void
astro_task_row_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  AstroTaskRow *self = ASTRO_TASK_ROW (widget);
  const Metrics *m = get_metrics (self);
  static const int right_chars[] = { PRIORITY_CHARS, ASSIGNEE_CHARS, WORK_CHARS };
  int width = gtk_widget_get_width (widget);
  int right, x, title_width, used;
  guint n_right;
  GdkRGBA color, dim, tint;

  if (self->task == NULL)
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS
  dim = color;
  dim.alpha *= DIM_OPACITY;

  x = MARGIN_X;
  draw_text (self, snapshot, COLUMN_KEY, x, KEY_CHARS * m->char_px, &dim);
  x += KEY_CHARS * m->char_px + SPACING;
  draw_text (self, snapshot, COLUMN_STATUS, x, STATUS_CHARS * m->char_px, &color);
  x += STATUS_CHARS * m->char_px + SPACING;

  /* The columns on the right go as the row narrows, the work first, then
   * the assignee, then the priority, before the title gets less than its
   * minimum; the list item's accessible label still says them all. */
  n_right = G_N_ELEMENTS (right_chars);
  for (;;)
    {
      right = MARGIN_X;
      for (guint i = 0; i < n_right; i++)
        right += right_chars[i] * m->char_px + SPACING;
      if (n_right == 0 || width - x - right >= TITLE_KEEP_CHARS * m->char_px)
        break;
      n_right--;
    }
  title_width = MAX (TITLE_MIN_CHARS * m->char_px, width - x - right);
  draw_text (self, snapshot, COLUMN_TITLE, x, title_width, &color);
  x += title_width + SPACING;

  if (n_right > 0)
    draw_text (self, snapshot, COLUMN_PRIORITY, x, PRIORITY_CHARS * m->char_px, &color);
  x += PRIORITY_CHARS * m->char_px + SPACING;
  if (n_right > 1)
    draw_text (self, snapshot, COLUMN_ASSIGNEE, x, ASSIGNEE_CHARS * m->char_px, &dim);
  x += ASSIGNEE_CHARS * m->char_px + SPACING;
  if (n_right < 3)
    return;

  used = draw_pill (self, snapshot, COLUMN_WORKSPACES, x, WORK_CHARS * m->char_px, &color);
  if (used > 0)
    used += SPACING / 2;
  tint = color;
  pr_color (self->pr_status, &tint);
  draw_pill (self, snapshot, COLUMN_PR, x + used, WORK_CHARS * m->char_px - used, &tint);
}

static gboolean
astro_task_row_query_tooltip (GtkWidget  *widget,
                              int         x,
                              int         y,
                              gboolean    keyboard_tooltip,
                              GtkTooltip *tooltip)
{
  AstroTaskRow *self = ASTRO_TASK_ROW (widget);
  PangoLayout *title = self->layout[COLUMN_TITLE];

  /* the whole title, when the row had to shorten it */
  if (title == NULL || !pango_layout_is_ellipsized (title))
    return FALSE;

  gtk_tooltip_set_text (tooltip, self->text[COLUMN_TITLE]);
  return TRUE;
}

static void
astro_task_row_direction_changed (GtkWidget        *widget,
                                  GtkTextDirection  previous_direction)
{
  clear_layouts (ASTRO_TASK_ROW (widget));
  GTK_WIDGET_CLASS (astro_task_row_parent_class)->direction_changed (widget, previous_direction);
}

/*
 * GObject overrides
 */

static void
astro_task_row_dispose (GObject *object)
{
  AstroTaskRow *self = ASTRO_TASK_ROW (object);

  g_clear_object (&self->task_signals);
  g_clear_object (&self->task);
  g_clear_object (&self->context);
  clear_layouts (self);

  G_OBJECT_CLASS (astro_task_row_parent_class)->dispose (object);
}

static void
astro_task_row_finalize (GObject *object)
{
  AstroTaskRow *self = ASTRO_TASK_ROW (object);

  for (guint i = 0; i < N_COLUMNS; i++)
    g_free (self->text[i]);
  g_free (self->pr_status);
  g_free (self->accessible_label);

  G_OBJECT_CLASS (astro_task_row_parent_class)->finalize (object);
}

static void
astro_task_row_class_init (AstroTaskRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = astro_task_row_dispose;
  object_class->finalize = astro_task_row_finalize;

  widget_class->measure = astro_task_row_measure;
  widget_class->snapshot = astro_task_row_snapshot;
  widget_class->query_tooltip = astro_task_row_query_tooltip;
  widget_class->direction_changed = astro_task_row_direction_changed;

  gtk_widget_class_set_css_name (widget_class, "taskrow");
}

static void
astro_task_row_init (AstroTaskRow *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);

  self->task_signals = g_signal_group_new (ASTRO_TYPE_TASK);
  g_signal_group_connect_swapped (self->task_signals, "notify", G_CALLBACK (on_task_notify_cb), self);
}

/*
 * Public API
 */

/**
 * astro_task_row_new:
 * @context: (nullable): where the row finds the work on its task and the
 *   names of people; without it, it shows neither
 */
GtkWidget *
astro_task_row_new (AstroTaskContext *context)
{
  AstroTaskRow *self = g_object_new (ASTRO_TYPE_TASK_ROW, NULL);

  if (context != NULL)
    {
      self->context = g_object_ref (context);
      g_signal_connect_object (context, "changed",
                               G_CALLBACK (on_context_changed_cb), self, G_CONNECT_SWAPPED);
    }

  return GTK_WIDGET (self);
}

void
astro_task_row_set_task (AstroTaskRow *self,
                         AstroTask    *task)
{
  g_return_if_fail (ASTRO_IS_TASK_ROW (self));

  if (!g_set_object (&self->task, task))
    return;

  g_signal_group_set_target (self->task_signals, task);
  if (task == NULL)
    return;

  update_work (self);
  update (self);
}
