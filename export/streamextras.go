package main

// #include "dtlsgo-core.h"
import "C"

import "github.com/dtlsgo/dtlsgo"

// The DtlsGo namespace's rows for what stream TLS adds to a handshake: the
// key exchange group and Encrypted Client Hello. DTLS connections answer
// NULL / FALSE.

// echConfig reads the ECH part of the handshake parameters.
func echConfig(p *C.DtlsGoHandshakeParams, cfg *dtlsgo.Config) error {
	if p.ech_config_list != nil {
		if err := cfg.SetECHConfigList(goBytes(p.ech_config_list)); err != nil {
			return err
		}
	}
	if p.ech_keys != nil {
		return cfg.SetECHKeys(goBytes(p.ech_keys))
	}
	return nil
}

//export dtlsgo_core_connection_key_exchange_group
func dtlsgo_core_connection_key_exchange_group(h C.DtlsGoHandle) (s *C.gchar) {
	defer guard(nil)
	if st, ok := connectionFrom(h).core.(*dtlsgo.StreamConn); ok && st.KeyExchangeGroup() != "" {
		return gstrdup(st.KeyExchangeGroup())
	}
	return nil
}

//export dtlsgo_core_connection_ech_accepted
func dtlsgo_core_connection_ech_accepted(h C.DtlsGoHandle) (accepted C.gboolean) {
	defer guard(nil)
	if st, ok := connectionFrom(h).core.(*dtlsgo.StreamConn); ok && st.ECHAccepted() {
		return 1
	}
	return 0
}

//export dtlsgo_core_generate_ech_keys
func dtlsgo_core_generate_ech_keys(publicName *C.DtlsGoConstChar, configList **C.GBytes, gerr **C.GError) (keys *C.GBytes) {
	defer guard(gerr)
	pemKeys, list, err := dtlsgo.GenerateECHKeys(goString(publicName))
	if err != nil {
		setError(gerr, err)
		return nil
	}
	*configList = newGBytes(list)
	return newGBytes(pemKeys)
}
