/* The three GIOModule entry points: register the backend once per process. */

#define G_LOG_DOMAIN "dtlsgo"
#include <gio/gio.h>

#include "dtlsgo-backend.h"
#include "dtlsgo-copies.h"

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  DTLSGO_FORWARD_VOID (g_io_module_load, (module));
  static gsize registered = 0;

  /* The Go runtime cannot be unloaded (the library is NODELETE) nor started
   * twice, so keep the module in use for the life of the process: GIO then
   * never unloads it and never calls load again. */
  if (g_once_init_enter (&registered))
    {
      g_type_module_use (G_TYPE_MODULE (module));
      dtlsgo_backend_register ();
      g_once_init_leave (&registered, 1);
    }
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
  DTLSGO_FORWARD_VOID (g_io_module_unload, (module));
}

G_MODULE_EXPORT gchar **
g_io_module_query (void)
{
  DTLSGO_FORWARD (g_io_module_query, ());
  return g_strsplit (G_TLS_BACKEND_EXTENSION_POINT_NAME, "!", -1);
}
