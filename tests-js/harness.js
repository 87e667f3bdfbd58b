// What the gjs tests share: one main loop, checks that fail the test from
// any callback, GBytes from and to text, and a certificate for localhost. Imported by the tests with
// imports.searchPath set to this directory.
const {GLib} = imports.gi;
const System = imports.system;

var loop = new GLib.MainLoop(null, false);
let failure = null;

function check(condition, what) {
    if (!condition)
        throw new Error(`check failed: ${what}`);
}

function fail(error) {
    failure = error;
    loop.quit();
}

// Runs f, turning exceptions into the test's failure (callbacks cannot throw
// into the main loop).
function guarded(f) {
    return (...args) => {
        try {
            f(...args);
        } catch (e) {
            fail(e);
        }
    };
}

var bytes = text => new GLib.Bytes(new TextEncoder().encode(text));
var text = b => new TextDecoder().decode(b.toArray());

// A self-signed ECDSA certificate for localhost, made by openssl for this
// run (its files removed again).
function localhostCertificate() {
    const {Gio} = imports.gi;
    const dir = GLib.dir_make_tmp('dtlsgo-gjs-XXXXXX');
    const certFile = GLib.build_filenamev([dir, 'cert.pem']);
    const keyFile = GLib.build_filenamev([dir, 'key.pem']);
    const [, , , status] = GLib.spawn_sync(null, ['openssl', 'req', '-x509', '-newkey', 'ec',
        '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost', '-keyout', keyFile, '-out', certFile], null,
    GLib.SpawnFlags.SEARCH_PATH, null);
    check(status === 0, 'openssl made a certificate');
    const certificate = Gio.TlsCertificate.new_from_files(certFile, keyFile);
    for (const f of [certFile, keyFile])
        GLib.unlink(f);
    GLib.rmdir(dir);
    return certificate;
}

// Runs the loop (at most timeoutMs), then cleanup; exits non-zero on a
// failure.
function run(timeoutMs, cleanup) {
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, timeoutMs, () => fail(new Error('timed out')));
    loop.run();
    cleanup();
    if (failure) {
        printerr(`FAIL: ${failure.message}\n${failure.stack ?? ''}`);
        System.exit(1);
    }
}
