/* Ties a GCancellable to a Go context's cancel function for one call. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-core.h"

static void
on_cancelled (GCancellable *cancellable, gpointer cancel)
{
  dtlsgo_core_cancel ((DtlsGoHandle) cancel);
}

gulong
dtlsgo_shim_cancellable_connect (GCancellable *cancellable, DtlsGoHandle cancel)
{
  /* Runs on_cancelled at once if already cancelled. */
  return g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), (gpointer) cancel, NULL);
}

void
dtlsgo_shim_cancellable_disconnect (GCancellable *cancellable, gulong id)
{
  g_cancellable_disconnect (cancellable, id);
}
