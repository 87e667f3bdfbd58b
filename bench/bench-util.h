/* What every benchmark program of bench/ shares: dying with a message,
 * measuring CPU, memory and percentiles, and the test PKI. */

#pragma once

#include <gio/gio.h>

G_NORETURN void die (const gchar *what, GError *error);

gdouble cpu_seconds (void);
glong peak_rss_kib (void);
glong rss_kib_of (GPid pid);
glong current_rss_kib (void);
gdouble cpu_seconds_of (GPid pid);
void raise_descriptor_limit (void);

int cmp_gint64 (gconstpointer a, gconstpointer b);
gint64 percentile (const gint64 *sorted, guint n, gdouble p);

/* The CA the clients trust and the certificate the servers present, from
 * the files that --ca and --cert name. */
extern GTlsDatabase *ca_database;
extern GTlsCertificate *server_certificate;
void load_pki (const gchar *ca, const gchar *cert);
