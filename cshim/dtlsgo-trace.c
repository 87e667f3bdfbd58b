/* The handshake trace's way out: debug messages of the "dtlsgo" domain.
 *
 * The lines go to GLib's default writer (stderr, or the journal), filtered
 * by G_MESSAGES_DEBUG as every debug message is, and not through the
 * writer function an application may install with g_log_set_writer_func():
 * most lines are written on the handshake's Go threads, and a writer
 * function is application code, which dtlsgo never runs on them. Handing
 * the lines to a main context instead would delay them and reorder them
 * against the application's own messages. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-core.h"

gboolean
dtlsgo_shim_trace_enabled (void)
{
  return !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN);
}

void
dtlsgo_shim_trace (guint64 id, gboolean client, const char *line)
{
  g_autofree gchar *id_text = g_strdup_printf ("%" G_GUINT64_FORMAT, id);
  g_autofree gchar *message = g_strdup_printf ("%s %s: %s", client ? "client" : "server", id_text, line);
  const GLogField fields[] = {
    { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 },
    { "PRIORITY", "7", -1 },
    { "MESSAGE", message, -1 },
    { "DTLSGO_CONNECTION", id_text, -1 },
    { "DTLSGO_ROLE", client ? "client" : "server", -1 },
  };

  g_log_writer_default (G_LOG_LEVEL_DEBUG, fields, G_N_ELEMENTS (fields), NULL);
}
