/* DtlsGoFileDatabase: the GTlsFileDatabase, a DtlsGoDatabase whose anchors
 * are the certificates of one PEM file, read in GInitable.init. */

#define G_LOG_DOMAIN "dtlsgo"

#include "dtlsgo-file-database.h"
#include "dtlsgo-copies.h"

enum
{
  PROP_0,
  PROP_ANCHORS,
};

struct _DtlsGoFileDatabase
{
  DtlsGoDatabase parent_instance;

  char *anchors;
  gboolean loaded;
};

static void dtls_go_file_database_initable_iface_init (GInitableIface *iface);

/* This copy's own type; the public dtls_go_file_database_get_type() answers with the
 * first copy's in a later copy (dtlsgo-copies.h). */
#define dtls_go_file_database_get_type dtls_go_file_database_get_type_here
static GType dtls_go_file_database_get_type_here (void);
G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoFileDatabase, dtls_go_file_database, DTLS_GO_TYPE_DATABASE,
                               G_IMPLEMENT_INTERFACE (G_TYPE_TLS_FILE_DATABASE, NULL)
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      dtls_go_file_database_initable_iface_init))
#undef dtls_go_file_database_get_type
DTLSGO_PUBLIC_GET_TYPE (dtls_go_file_database)

static gboolean
dtls_go_file_database_initable_init (GInitable     *initable,
                                     GCancellable  *cancellable,
                                     GError       **error)
{
  DtlsGoFileDatabase *self = DTLS_GO_FILE_DATABASE (initable);
  g_autofree char *uri = NULL;
  DtlsGoHandle handle;

  if (self->loaded)
    return TRUE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!self->anchors)
    {
      g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
                           "No anchor file given for the GTlsFileDatabase");
      return FALSE;
    }

  /* The handles of its certificates start with the file's URI, as in
   * glib-networking. A relative path has none; Go refuses it. */
  uri = g_filename_to_uri (self->anchors, NULL, NULL);
  handle = dtlsgo_core_database_new_file (self->anchors, uri ? uri : "", error);
  if (!handle)
    return FALSE;
  dtlsgo_database_set_handle (DTLS_GO_DATABASE (self), handle);
  self->loaded = TRUE;
  return TRUE;
}

static void
dtls_go_file_database_initable_iface_init (GInitableIface *iface)
{
  iface->init = dtls_go_file_database_initable_init;
}

static void
dtls_go_file_database_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  DtlsGoFileDatabase *self = DTLS_GO_FILE_DATABASE (object);

  switch (prop_id)
    {
    case PROP_ANCHORS:
      g_value_set_string (value, self->anchors);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dtls_go_file_database_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  DtlsGoFileDatabase *self = DTLS_GO_FILE_DATABASE (object);

  switch (prop_id)
    {
    case PROP_ANCHORS:
      /* GLib makes anchors writable, but the store is read once: a new
       * file name later would describe anchors the database does not use. */
      if (self->loaded)
        {
          g_warning ("GTlsFileDatabase:anchors cannot change once the database is loaded");
          return;
        }
      g_free (self->anchors);
      self->anchors = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dtls_go_file_database_finalize (GObject *object)
{
  DtlsGoFileDatabase *self = DTLS_GO_FILE_DATABASE (object);

  g_free (self->anchors);

  G_OBJECT_CLASS (dtls_go_file_database_parent_class)->finalize (object);
}

static void
dtls_go_file_database_init (DtlsGoFileDatabase *self)
{
}

static void
dtls_go_file_database_class_init (DtlsGoFileDatabaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = dtls_go_file_database_get_property;
  object_class->set_property = dtls_go_file_database_set_property;
  object_class->finalize = dtls_go_file_database_finalize;

  g_object_class_override_property (object_class, PROP_ANCHORS, "anchors");
}

/**
 * dtls_go_file_database_new:
 * @anchors: (type filename): the path of a PEM file holding the trusted
 *   certificates
 * @error: return location for a #GError
 *
 * Creates a dtlsgo database trusting the certificates of @anchors, as
 * g_tls_file_database_new() does while dtlsgo is GIO's default TLS
 * backend, but whatever the default is. A file that cannot be read or holds
 * no certificate fails with %G_TLS_ERROR_MISC.
 *
 * Returns: (transfer full): the new database, or %NULL on error
 */
DtlsGoFileDatabase *
dtls_go_file_database_new (const gchar  *anchors,
                           GError      **error)
{
  DTLSGO_FORWARD (dtls_go_file_database_new, (anchors, error));
  g_return_val_if_fail (anchors != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (DTLS_GO_TYPE_FILE_DATABASE, NULL, error, "anchors", anchors, NULL);
}
