/* One copy of dtlsgo per process.
 *
 * A process can load two files of the module: a build tree's typelib names
 * the build tree's libgiodtlsgo.so while GIO loads an installed one, or the
 * reverse. Each file starts a Go runtime of its own (harmless) and would
 * register the same GTypes (not: "cannot register existing type", then
 * crashes). So the copy loaded first claims the process, and a later copy,
 * seeing the claim when the loader runs its constructor, says so once and
 * forwards every public entry point to the first copy (DTLSGO_FORWARD):
 * the program goes on with the first copy, its types and its backend.
 *
 * The claim is a qdata of G_TYPE_OBJECT, the one registry every copy
 * shares; constructors run under the dynamic loader's lock, so two copies
 * never claim at once. It holds the first copy's path (the copy is never
 * unloaded: the library is NODELETE). */

#define G_LOG_DOMAIN "dtlsgo"
#define _GNU_SOURCE
#include "dtlsgo-copies.h"

#include <dlfcn.h>

gpointer dtlsgo_first_copy;

static gchar *first_copy_path;

static const char *
own_path (void)
{
  Dl_info info;

  if (dladdr ((void *) own_path, &info) == 0 || info.dli_fname == NULL)
    return "(unknown)";
  return info.dli_fname;
}

__attribute__((constructor)) static void
claim_process (void)
{
  GQuark claim = g_quark_from_static_string ("dtlsgo-first-copy");
  const char *first = g_type_get_qdata (G_TYPE_OBJECT, claim);
  const char *self = own_path ();

  if (first == NULL)
    {
      /* Absolute: a later copy opens it by this path, perhaps from another
       * working directory (GIO_MODULE_DIR may be relative). */
      g_type_set_qdata (G_TYPE_OBJECT, claim, g_canonicalize_filename (self, NULL));
      return;
    }
  /* The first copy is loaded, so this finds it rather than loading it. */
  dtlsgo_first_copy = dlopen (first, RTLD_LAZY | RTLD_NOLOAD);
  if (dtlsgo_first_copy == NULL)
    return;
  first_copy_path = g_strdup (first);
  /* A message, not a warning: the program goes on working, and a warning
   * aborts programs that make warnings fatal (G_DEBUG=fatal-warnings, every
   * g_test program), which is what this copy must not cause. */
  g_message ("A second copy of dtlsgo's module, %s, was loaded into a process that already "
             "uses %s; the process goes on with the first and the second is not used. Load "
             "one copy: give GI_TYPELIB_PATH the typelib built with the module GIO loads "
             "(a build tree's gir/ beside GIO_MODULE_DIR=<that build tree>, or the installed "
             "typelib with the installed module).",
             self, first);
}

gpointer
dtlsgo_copies_symbol (const char *name)
{
  gpointer symbol = dlsym (dtlsgo_first_copy, name);

  if (symbol == NULL)
    g_error ("The first copy of dtlsgo's module in this process, %s, has no %s (an older "
             "version?): load one copy of the module", first_copy_path, name);
  return symbol;
}
