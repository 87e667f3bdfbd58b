#pragma once

#include "dtlsgo-connection.h"

G_BEGIN_DECLS

/* The type is declared in the public header. */
struct _DtlsGoServerConnectionClass
{
  DtlsGoConnectionClass parent_class;
};

G_END_DECLS
