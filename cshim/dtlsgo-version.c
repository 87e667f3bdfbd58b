/* What the library is and offers, for callers deciding what to configure. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-connection.h"
#include "dtlsgo-copies.h"

/**
 * dtls_go_get_version:
 *
 * The version of dtlsgo (the `VERSION` file of its source tree).
 *
 * Returns: the version string, e.g. "0.1.0"
 */
const gchar *
dtls_go_get_version (void)
{
  DTLSGO_FORWARD (dtls_go_get_version, ());
  return dtlsgo_core_version ();
}

/**
 * dtls_go_get_cipher_suites:
 *
 * The cipher suites dtlsgo negotiates, by IANA name, in its order of
 * preference: the certificate suites, then the pre-shared key suites (used
 * only when a PSK is configured).
 * [property@Gio.TlsConnection:ciphersuite-name] is one of them after a
 * handshake.
 *
 * Returns: (transfer full) (array zero-terminated=1): the suites' names
 */
gchar **
dtls_go_get_cipher_suites (void)
{
  DTLSGO_FORWARD (dtls_go_get_cipher_suites, ());
  return dtlsgo_core_cipher_suites ();
}

/**
 * dtls_go_get_srtp_profiles:
 *
 * The DTLS-SRTP protection profiles dtlsgo supports, by IANA name, most
 * secure first: what [property@DtlsGo.Connection:srtp-profiles] accepts.
 *
 * Returns: (transfer full) (array zero-terminated=1): the profiles' names
 */
gchar **
dtls_go_get_srtp_profiles (void)
{
  DTLSGO_FORWARD (dtls_go_get_srtp_profiles, ());
  return dtlsgo_core_srtp_profiles ();
}

/**
 * dtls_go_debug_goroutine_count:
 *
 * A diagnostic for leak tests: how many goroutines the module's Go runtime
 * runs right now. Idle, with no connection, it is a small constant; each
 * connection adds a few while it lives. Goroutines end shortly after the
 * object that owned them is closed or finalized, so compare after a
 * settling delay.
 *
 * Returns: the number of goroutines
 */
guint
dtls_go_debug_goroutine_count (void)
{
  DTLSGO_FORWARD (dtls_go_debug_goroutine_count, ());
  return dtlsgo_core_goroutine_count ();
}

/**
 * dtls_go_debug_live_heap:
 *
 * A diagnostic for leak tests: runs a full garbage collection of the
 * module's Go runtime and returns how many bytes its live objects take.
 * Unlike the process's resident memory, it does not depend on when the
 * collector last ran or returned pages to the system. Slow: for tests.
 *
 * Returns: the bytes of live Go heap objects
 */
guint64
dtls_go_debug_live_heap (void)
{
  DTLSGO_FORWARD (dtls_go_debug_live_heap, ());
  return dtlsgo_core_live_heap ();
}
