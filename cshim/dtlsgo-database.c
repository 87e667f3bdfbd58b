#define G_LOG_DOMAIN "dtlsgo"

#include "dtlsgo-database.h"

G_DEFINE_TYPE (DtlsGoDatabase, dtls_go_database, G_TYPE_TLS_DATABASE)

static void dtls_go_database_init (DtlsGoDatabase *self) {}
static void dtls_go_database_class_init (DtlsGoDatabaseClass *klass) {}

GTlsDatabase *
dtlsgo_database_get_system (void)
{
  static gsize once;
  static GTlsDatabase *system;

  if (g_once_init_enter (&once))
    {
      system = g_object_new (DTLS_GO_TYPE_DATABASE, NULL);
      g_once_init_leave (&once, 1);
    }
  return g_object_ref (system);
}
