/* The seam: every function the Go core exports to the C shim (implemented
 * in package export, one file per area), and the few C functions the Go side
 * calls back. Each export recovers Go panics and reports failures through its
 * GError** in the right domain and code; handles are runtime/cgo handles of
 * Go objects, 0 meaning none, freed with dtlsgo_core_handle_free.
 *
 * Keep each area's rows in its own section: the sections are edited by
 * different people. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef guintptr DtlsGoHandle;

/* ---- Handles -------------------------------------------------------------- */

void dtlsgo_core_handle_free (DtlsGoHandle handle);

/* ---- Certificates and databases (export/certificate.go, export/database.go) */

/* ---- Connections (export/connection.go) ------------------------------------ */

G_END_DECLS
