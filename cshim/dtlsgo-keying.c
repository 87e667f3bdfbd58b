/* What a handshake establishes beyond GIO's API: RFC 5705 keying
 * material, the key exchange group, and the DTLS-SRTP (RFC 5764) profile
 * and keys. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-connection.h"
#include "dtlsgo-copies.h"

/**
 * dtls_go_connection_export_keying_material:
 * @self: a #DtlsGoConnection
 * @label: the exporter label, e.g. "EXPERIMENTAL-my-protocol"
 * @context: (nullable): the context value, or %NULL for none
 * @length: how many bytes to export, 1 to 65535
 * @error: return location for a #GError
 *
 * Exports keying material from the connection's secrets (RFC 5705; on TLS
 * 1.3 streams, RFC 8446 section 7.5), identical on both peers of a
 * completed handshake and to what other TLS libraries export (OpenSSL's
 * SSL_export_keying_material()); protocols key their own cryptography
 * with it. Before the handshake completed it fails with
 * %G_TLS_CHANNEL_BINDING_ERROR_INVALID_STATE; a label TLS reserves
 * ("master secret", "key expansion", "client finished", "server
 * finished", "extended master secret") or a @length out of range with
 * %G_IO_ERROR_INVALID_ARGUMENT. It keeps working after the connection is
 * closed.
 *
 * Any @context of up to 65535 bytes is taken (longer ones fail with
 * %G_IO_ERROR_INVALID_ARGUMENT); %NULL and an empty one differ on (D)TLS
 * 1.2 (RFC 5705) and are the same on TLS 1.3.
 * On a TLS 1.2 stream that did not negotiate the extended master secret
 * (RFC 7627) the export would not be unique to the connection, and fails
 * with %G_TLS_CHANNEL_BINDING_ERROR_NOT_AVAILABLE, as the `tls-exporter`
 * channel binding does.
 *
 * ```python
 * secret = conn.export_keying_material("EXPERIMENTAL-my-protocol", None, 32)
 * ```
 *
 * Returns: (transfer full): @length bytes of keying material, or %NULL on
 *   error
 */
GBytes *
dtls_go_connection_export_keying_material (DtlsGoConnection  *self,
                                           const gchar       *label,
                                           GBytes            *context,
                                           gsize              length,
                                           GError           **error)
{
  DTLSGO_FORWARD (dtls_go_connection_export_keying_material, (self, label, context, length, error));
  g_return_val_if_fail (DTLS_GO_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (label != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return dtlsgo_core_connection_export_keying_material (dtlsgo_connection_get_core (self), label,
                                                        context, length, error);
}

/**
 * dtls_go_connection_get_key_exchange_group:
 * @self: a #DtlsGoConnection
 *
 * Gets [property@DtlsGo.Connection:key-exchange-group]: the group of the
 * handshake's key exchange, e.g. `X25519MLKEM768`.
 *
 * Returns: (nullable): the group's IANA name, or %NULL before the
 *   handshake, for DTLS, or when the key exchange had no group
 */
const gchar *
dtls_go_connection_get_key_exchange_group (DtlsGoConnection *self)
{
  DTLSGO_FORWARD (dtls_go_connection_get_key_exchange_group, (self));
  g_autofree gchar *group = NULL;

  g_return_val_if_fail (DTLS_GO_IS_CONNECTION (self), NULL);

  /* Interned, as dtls_go_connection_get_srtp_profile(). */
  g_object_get (self, "key-exchange-group", &group, NULL);
  if (group == NULL)
    return NULL;
  return g_intern_string (group);
}

/**
 * dtls_go_connection_set_srtp_profiles:
 * @self: a #DtlsGoConnection
 * @profiles: (array zero-terminated=1) (nullable): the DTLS-SRTP profiles
 *   to offer or accept, most preferred first, or %NULL for none
 *
 * Sets [property@DtlsGo.Connection:srtp-profiles], before the handshake.
 *
 * ```c
 * const gchar *profiles[] = { "SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_HMAC_SHA1_80", NULL };
 * dtls_go_connection_set_srtp_profiles (conn, profiles);
 * ```
 */
void
dtls_go_connection_set_srtp_profiles (DtlsGoConnection    *self,
                                      const gchar * const *profiles)
{
  DTLSGO_FORWARD_VOID (dtls_go_connection_set_srtp_profiles, (self, profiles));
  g_return_if_fail (DTLS_GO_IS_CONNECTION (self));

  g_object_set (self, "srtp-profiles", profiles, NULL);
}

/**
 * dtls_go_connection_get_srtp_profile:
 * @self: a #DtlsGoConnection
 *
 * Gets [property@DtlsGo.Connection:srtp-profile]: the DTLS-SRTP
 * protection profile the handshake selected.
 *
 * Returns: (nullable): the profile's IANA name, or %NULL before the
 *   handshake or when none was negotiated
 */
const gchar *
dtls_go_connection_get_srtp_profile (DtlsGoConnection *self)
{
  DTLSGO_FORWARD (dtls_go_connection_get_srtp_profile, (self));
  g_autofree gchar *profile = NULL;

  g_return_val_if_fail (DTLS_GO_IS_CONNECTION (self), NULL);

  /* Interned: the names are few and constant, and the pointer stays valid
   * whatever happens to the connection. */
  g_object_get (self, "srtp-profile", &profile, NULL);
  if (profile == NULL)
    return NULL;
  return g_intern_string (profile);
}

/**
 * dtls_go_connection_get_srtp_keys:
 * @self: a #DtlsGoConnection
 * @local_key: (out) (transfer full) (optional): the SRTP master key this
 *   side protects what it sends with
 * @local_salt: (out) (transfer full) (optional): the master salt going with
 *   @local_key
 * @remote_key: (out) (transfer full) (optional): the SRTP master key of
 *   what the peer sends
 * @remote_salt: (out) (transfer full) (optional): the master salt going
 *   with @remote_key
 * @error: return location for a #GError
 *
 * Derives the SRTP master keys and salts of the selected DTLS-SRTP profile
 * (RFC 5764 §4.2: keying material "EXTRACTOR-dtls_srtp", the client's key
 * and salt protecting what the client sends). One side's local key is the
 * other side's remote key. Fails with
 * %G_TLS_CHANNEL_BINDING_ERROR_INVALID_STATE before the handshake and with
 * %G_TLS_CHANNEL_BINDING_ERROR_NOT_AVAILABLE when no profile was
 * negotiated.
 *
 * From languages that use introspection the four come back as a tuple:
 *
 * ```python
 * local_key, local_salt, remote_key, remote_salt = conn.get_srtp_keys()
 * ```
 *
 * Returns: (skip): %TRUE when the keys were derived
 */
gboolean
dtls_go_connection_get_srtp_keys (DtlsGoConnection  *self,
                                  GBytes           **local_key,
                                  GBytes           **local_salt,
                                  GBytes           **remote_key,
                                  GBytes           **remote_salt,
                                  GError           **error)
{
  DTLSGO_FORWARD (dtls_go_connection_get_srtp_keys, (self, local_key, local_salt, remote_key, remote_salt, error));
  g_autoptr(GBytes) lk = NULL;
  g_autoptr(GBytes) ls = NULL;
  g_autoptr(GBytes) rk = NULL;
  g_autoptr(GBytes) rs = NULL;

  g_return_val_if_fail (DTLS_GO_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!dtlsgo_core_connection_srtp_keys (dtlsgo_connection_get_core (self), &lk, &ls, &rk, &rs, error))
    return FALSE;
  if (local_key)
    *local_key = g_steal_pointer (&lk);
  if (local_salt)
    *local_salt = g_steal_pointer (&ls);
  if (remote_key)
    *remote_key = g_steal_pointer (&rk);
  if (remote_salt)
    *remote_salt = g_steal_pointer (&rs);
  return TRUE;
}
