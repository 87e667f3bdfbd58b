#pragma once

#include "dtlsgo-database.h"

G_BEGIN_DECLS

#define DTLS_GO_TYPE_FILE_DATABASE (dtls_go_file_database_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoFileDatabase, dtls_go_file_database, DTLS_GO, FILE_DATABASE, DtlsGoDatabase)

G_END_DECLS
