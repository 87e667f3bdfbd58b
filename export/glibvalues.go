package main

// #include <gio/gio.h>
//
// static GPtrArray *dtlsgo_bytes_array_new (guint n)
// {
//   return g_ptr_array_new_full (n, (GDestroyNotify) g_bytes_unref);
// }
import "C"

import "unsafe"

// Conversions between Go byte slices and the GLib containers the seam uses.

// bytesArrayToC returns a new GPtrArray of GBytes (freeing them with it).
func bytesArrayToC(items [][]byte) *C.GPtrArray {
	arr := C.dtlsgo_bytes_array_new(C.guint(len(items)))
	for _, b := range items {
		C.g_ptr_array_add(arr, C.gpointer(newGBytes(b)))
	}
	return arr
}

// bytesArrayToGo copies a GPtrArray of GBytes; nil for a NULL array.
func bytesArrayToGo(arr *C.GPtrArray) [][]byte {
	if arr == nil {
		return nil
	}
	out := make([][]byte, 0, int(arr.len))
	for _, item := range unsafe.Slice(arr.pdata, int(arr.len)) {
		var size C.gsize
		data := C.g_bytes_get_data((*C.GBytes)(item), &size)
		out = append(out, C.GoBytes(unsafe.Pointer(data), C.int(size)))
	}
	return out
}
