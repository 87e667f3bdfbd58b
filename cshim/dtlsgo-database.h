#pragma once

#include <gio/gio.h>

#include "dtlsgo.h"
#include "dtlsgo-core.h"

G_BEGIN_DECLS

/* The backend's default database (the system CA store), one per process:
 * a new reference to it. The store itself is read on first use. */
GTlsDatabase *dtlsgo_database_get_system (void);

/* The Go trust store the database holds (owned by it), 0 if none yet. */
DtlsGoHandle dtlsgo_database_get_handle (DtlsGoDatabase *self);

/* For subclasses: give the database its Go trust store (taking handle).
 * Call once, before the database is used. */
void dtlsgo_database_set_handle (DtlsGoDatabase *self,
                                 DtlsGoHandle    handle);

G_END_DECLS
