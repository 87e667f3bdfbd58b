/* What every benchmark program of bench/ shares (bench-util.h). */

#include "bench-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

void
die (const gchar *what, GError *error)
{
  g_printerr ("%s: %s: %s\n", g_get_prgname (), what, error ? error->message : "failed");
  exit (1);
}

const gchar *
backend_name (const gchar *label, gboolean raw)
{
  const gchar *type;

  if (label)
    return label;
  if (raw)
    return "raw";
  type = G_OBJECT_TYPE_NAME (g_tls_backend_get_default ());
  if (strstr (type, "DtlsGo"))
    return "dtlsgo";
  if (strstr (type, "Gnutls"))
    return "gnutls";
  if (strstr (type, "Openssl"))
    return "openssl";
  return type;
}

const gchar *
parse_mode (int argc, char **argv, const GOptionEntry *entries, const gchar *modes)
{
  g_autofree gchar *usage = g_strdup_printf ("MODE — %s", modes);
  g_autoptr(GOptionContext) context = g_option_context_new (usage);
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, pki_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die ("options", error);
  if (argc != 2)
    {
      g_autofree gchar *what = g_strdup_printf ("give one MODE: %s", modes);
      die (what, NULL);
    }
  return argv[1];
}

gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

glong
peak_rss_kib (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* Resident memory of process pid (0: this one), from /proc. */
glong
rss_kib_of (GPid pid)
{
  g_autofree gchar *path = pid ? g_strdup_printf ("/proc/%d/statm", pid)
                               : g_strdup ("/proc/self/statm");
  long pages = 0, resident = 0;
  FILE *f = fopen (path, "r");

  if (f == NULL || fscanf (f, "%ld %ld", &pages, &resident) != 2)
    resident = 0;
  if (f)
    fclose (f);
  return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

/* User and system CPU time of process pid so far, from /proc. */
gdouble
cpu_seconds_of (GPid pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree gchar *text = NULL;
  unsigned long utime = 0, stime = 0;
  const gchar *after_name;

  /* The command name in parentheses may hold spaces: fields count from its end. */
  if (!g_file_get_contents (path, &text, NULL, NULL) || (after_name = strrchr (text, ')')) == NULL ||
      sscanf (after_name + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
              &utime, &stime) != 2)
    return 0;
  return (gdouble) (utime + stime) / sysconf (_SC_CLK_TCK);
}

glong
current_rss_kib (void)
{
  return rss_kib_of (0);
}

/* Many connections need many descriptors: take all the hard limit allows,
 * and more where the process may raise it (10,000 idle connections hold
 * about 30,000). */
void
raise_descriptor_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0)
    {
      struct rlimit more = { WANTED_DESCRIPTORS, WANTED_DESCRIPTORS };

      if (rl.rlim_max >= WANTED_DESCRIPTORS || setrlimit (RLIMIT_NOFILE, &more) != 0)
        {
          rl.rlim_cur = rl.rlim_max;
          setrlimit (RLIMIT_NOFILE, &rl);
        }
    }
}

glong
descriptor_limit (void)
{
  struct rlimit rl;

  return getrlimit (RLIMIT_NOFILE, &rl) == 0 ? (glong) MIN (rl.rlim_cur, G_MAXLONG) : 1024;
}

/* Descriptors this process holds. */
guint
open_descriptors (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

void
measure_idle (guint n, void (*warm) (gpointer data), void (*open_pair) (guint i, gpointer data),
              gpointer data, IdleCost *cost)
{
  gdouble cpu0;
  gint64 t0;
  guint i;

  raise_descriptor_limit ();
  warm (data);
  cost->rss_before_kib = current_rss_kib ();
  cost->descriptors_before = open_descriptors ();
  cpu0 = cpu_seconds ();
  t0 = g_get_monotonic_time ();
  for (i = 0; i < n; i++)
    {
      /* Every 256 pairs, room for 256 more (at 8 descriptors a pair), or a
       * clear end instead of a handshake failing half-way. */
      if (i % 256 == 0 && open_descriptors () + 256 * 8 > (guint) descriptor_limit ())
        {
          g_autofree gchar *what = g_strdup_printf ("%u connection pairs: the descriptor limit (%ld) runs out after %u; "
                                                    "run as a user who may raise it", n, descriptor_limit (), i);
          die (what, NULL);
        }
      open_pair (i, data);
    }
  cost->open_s = (g_get_monotonic_time () - t0) / 1e6;
  cost->cpu_s = cpu_seconds () - cpu0;
  g_usleep (G_USEC_PER_SEC / 2);
  cost->rss_after_kib = current_rss_kib ();
  cost->descriptors_after = open_descriptors ();
}

void
print_idle (const gchar *mode, const gchar *backend, guint connections, const IdleCost *cost)
{
  printf ("{\"mode\":\"%s\",\"backend\":\"%s\",\"connections\":%u,"
          "\"kib_per_connection\":%.1f,\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,"
          "\"descriptors_per_connection\":%.2f,\"open_s\":%.3f,\"cpu_s\":%.3f,\"peak_rss_kib\":%ld}\n",
          mode, backend, connections, (cost->rss_after_kib - cost->rss_before_kib) / (gdouble) connections,
          cost->rss_before_kib, cost->rss_after_kib,
          ((gdouble) cost->descriptors_after - cost->descriptors_before) / connections,
          cost->open_s, cost->cpu_s, peak_rss_kib ());
}

int
cmp_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of n sorted samples, nearest rank. */
gint64
percentile (const gint64 *sorted, guint n, gdouble p)
{
  guint rank = (guint) (p / 100.0 * n + 0.999999);
  return sorted[CLAMP (rank, 1, n) - 1];
}

gboolean
handshake_finished (GDtlsConnection *conn, GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;

  if (g_dtls_connection_handshake_finish (conn, result, &error))
    return TRUE;
  g_printerr ("%s: a handshake failed: %s\n", g_get_prgname (), error->message);
  return FALSE;
}

void
watch_readable (GDtlsConnection *conn, GDatagramBasedSourceFunc func, gpointer data)
{
  g_autoptr(GSource) watch = g_datagram_based_create_source (G_DATAGRAM_BASED (conn), G_IO_IN, NULL);

  g_source_set_callback (watch, G_SOURCE_FUNC (func), data, NULL);
  g_source_attach (watch, g_main_context_get_thread_default ());
}

gchar *pki_ca, *pki_cert;
GTlsDatabase *ca_database;
GTlsCertificate *server_certificate;

const GOptionEntry pki_entries[] = {
  { "ca", 0, 0, G_OPTION_ARG_FILENAME, &pki_ca, "PEM file of the CA the clients trust", "FILE" },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME, &pki_cert, "PEM file of the server's certificate and key", "FILE" },
  { NULL }
};

void
load_pki (void)
{
  g_autoptr(GError) error = NULL;

  if (pki_ca == NULL || pki_cert == NULL)
    die ("--ca and --cert are required", NULL);
  ca_database = g_tls_file_database_new (pki_ca, &error);
  if (ca_database == NULL)
    die (pki_ca, error);
  server_certificate = g_tls_certificate_new_from_file (pki_cert, &error);
  if (server_certificate == NULL)
    die (pki_cert, error);
}
