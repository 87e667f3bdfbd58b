// What the gjs tests share: one main loop, checks that fail the test from
// any callback, and GBytes from and to text. Imported by the tests with
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
