#pragma once

#include "dtlsgo-connection.h"

G_BEGIN_DECLS

/* The type is declared in the public header. */
struct _DtlsGoServerConnectionClass
{
  DtlsGoConnectionClass parent_class;
};

/* psk-requested's accumulator: the first key a handler returns wins
 * (also the listener's signal). */
gboolean dtlsgo_psk_accumulator (GSignalInvocationHint *hint,
                                 GValue                *return_accu,
                                 const GValue          *handler_return,
                                 gpointer               data);

G_END_DECLS
