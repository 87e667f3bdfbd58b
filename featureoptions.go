package dtlsgo

import (
	"context"
	"io"

	"github.com/pion/dtls/v3"
)

// featureOptions are the pion options of the DtlsGo namespace's features
// (SRTP, PSK, connection IDs, timing, key log). The closer, if any, must be
// closed when the handshake ends.
func featureOptions(ctx context.Context, cfg Config, hooks HandshakeHooks, watch *pskWatch) ([]dtls.Option, io.Closer, error) {
	opts := srtpOptions(cfg.SRTPProfiles)
	psk, err := pskOptions(ctx, cfg, hooks, watch)
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, psk...)
	opts = append(opts, dtls.WithCipherSuites(suitesFor(cfg.usesPSK(), !cfg.pskOnly())...))
	cid, err := cidOptions(cfg.ConnectionIDLength, cfg.connectionID)
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, cid...)
	if cfg.RetransmitInterval > 0 {
		opts = append(opts, dtls.WithFlightInterval(cfg.RetransmitInterval))
	}
	logOpt, logFile := keyLog(cfg.KeyLogFile, cfg.keyCapture)
	if logOpt != nil {
		opts = append(opts, logOpt)
	}
	return opts, logFile, nil
}
