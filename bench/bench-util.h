/* What every benchmark program of bench/ shares: dying with a message,
 * measuring CPU, memory and percentiles, and the test PKI. */

#pragma once

#include <gio/gio.h>

G_NORETURN void die (const gchar *what, GError *error);

/* The name a run reports: label if given, "raw" without TLS, else GIO's
 * default backend as "dtlsgo", "gnutls" or "openssl". */
const gchar *backend_name (const gchar *label, gboolean raw);

/* Parses the command line of a program taking entries, the PKI's and one
 * MODE among modes ("a, b or c"), which it returns. */
const gchar *parse_mode (int argc, char **argv, const GOptionEntry *entries, const gchar *modes);

gdouble cpu_seconds (void);
glong peak_rss_kib (void);
glong rss_kib_of (GPid pid);
glong current_rss_kib (void);
gdouble cpu_seconds_of (GPid pid);
void raise_descriptor_limit (void);
glong descriptor_limit (void);
guint open_descriptors (void);

/* What keeping idle connection pairs cost: RSS and descriptors before and
 * after, CPU and wall time of opening them. */
typedef struct
{
  glong rss_before_kib, rss_after_kib;
  guint descriptors_before, descriptors_after;
  gdouble open_s, cpu_s;
} IdleCost;

/* Opens (and keeps) n pairs with open_pair (i, data), after one warm-up
 * pair warm (data) opens and closes, and measures them half a second after
 * the last, the handshakes' garbage settled. */
void measure_idle (guint n, void (*warm) (gpointer data), void (*open_pair) (guint i, gpointer data),
                   gpointer data, IdleCost *cost);
/* Prints cost as the JSON line of an idle run over `connections`. */
void print_idle (const gchar *mode, const gchar *backend, guint connections, const IdleCost *cost);
#define WANTED_DESCRIPTORS (1 << 17)

int cmp_gint64 (gconstpointer a, gconstpointer b);
gint64 percentile (const gint64 *sorted, guint n, gdouble p);

/* Finishes conn's handshake_async; a failure is reported on stderr (the
 * run goes on and counts it). */
gboolean handshake_finished (GDtlsConnection *conn, GAsyncResult *result);

/* Watches conn for something to receive: func (conn, condition, data) in
 * the thread-default main context. */
void watch_readable (GDtlsConnection *conn, GDatagramBasedSourceFunc func, gpointer data);

/* --ca and --cert, which every benchmark program takes, and what they name:
 * the CA the clients trust and the certificate the servers present. */
extern const GOptionEntry pki_entries[];
extern gchar *pki_ca, *pki_cert;
extern GTlsDatabase *ca_database;
extern GTlsCertificate *server_certificate;
void load_pki (void);
