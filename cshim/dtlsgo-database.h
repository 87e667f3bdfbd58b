#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DTLS_GO_TYPE_DATABASE (dtls_go_database_get_type ())
G_DECLARE_DERIVABLE_TYPE (DtlsGoDatabase, dtls_go_database, DTLS_GO, DATABASE, GTlsDatabase)

struct _DtlsGoDatabaseClass
{
  GTlsDatabaseClass parent_class;
};

/* The backend's default database (the system CA store), one per process. */
GTlsDatabase *dtlsgo_database_get_system (void);

G_END_DECLS
