/* One copy of dtlsgo per process: see dtlsgo-copies.c. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The dlopen handle of the copy of the module loaded first, when this copy
 * is a later one; NULL in the first (usually the only) copy. */
extern gpointer dtlsgo_first_copy;

/* The first copy's definition of a public symbol. */
gpointer dtlsgo_copies_symbol (const char *name);

/* At the top of every public function (an exported dtls_go_* or
 * g_io_module_* symbol): in a later copy, call the first copy's instead.
 * The objects a program holds are the first copy's, whose types, private
 * data and Go runtime this copy's code knows nothing of. */
#define DTLSGO_FORWARD(name, args) \
  G_STMT_START { \
    if (G_UNLIKELY (dtlsgo_first_copy != NULL)) \
      return ((__typeof__ (&name)) dtlsgo_copies_symbol (#name)) args; \
  } G_STMT_END
#define DTLSGO_FORWARD_VOID(name, args) \
  G_STMT_START { \
    if (G_UNLIKELY (dtlsgo_first_copy != NULL)) \
      { \
        ((__typeof__ (&name)) dtlsgo_copies_symbol (#name)) args; \
        return; \
      } \
  } G_STMT_END

/* A public type's get_type. Its file renames the get_type that G_DEFINE_*
 * writes to <type_name>_get_type_here around the G_DEFINE_* line:
 *
 *   #define dtls_go_x_get_type dtls_go_x_get_type_here
 *   GType dtls_go_x_get_type_here (void);
 *   G_DEFINE_TYPE (DtlsGoX, dtls_go_x, ...)
 *   #undef dtls_go_x_get_type
 *   DTLSGO_PUBLIC_GET_TYPE (dtls_go_x)
 *
 * so that a later copy answers with the first copy's type instead of
 * registering the name again ("cannot register existing type"). */
#define DTLSGO_PUBLIC_GET_TYPE(type_name) \
  GType \
  type_name##_get_type (void) \
  { \
    DTLSGO_FORWARD (type_name##_get_type, ()); \
    return type_name##_get_type_here (); \
  }

G_END_DECLS
