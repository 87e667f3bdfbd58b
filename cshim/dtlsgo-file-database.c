#define G_LOG_DOMAIN "dtlsgo"

#include "dtlsgo-file-database.h"

struct _DtlsGoFileDatabase
{
  DtlsGoDatabase parent_instance;
};

G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoFileDatabase, dtls_go_file_database, DTLS_GO_TYPE_DATABASE,
                               G_IMPLEMENT_INTERFACE (G_TYPE_TLS_FILE_DATABASE, NULL))

static void dtls_go_file_database_init (DtlsGoFileDatabase *self) {}
static void dtls_go_file_database_class_init (DtlsGoFileDatabaseClass *klass) {}
