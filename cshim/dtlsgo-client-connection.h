#pragma once

#include "dtlsgo-connection.h"

G_BEGIN_DECLS

/* The type is declared in the public header. */
struct _DtlsGoClientConnectionClass
{
  DtlsGoConnectionClass parent_class;
};

G_END_DECLS
