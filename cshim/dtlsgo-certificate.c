#define G_LOG_DOMAIN "dtlsgo"

#include "dtlsgo-certificate.h"

struct _DtlsGoCertificate
{
  GTlsCertificate parent_instance;
};

G_DEFINE_FINAL_TYPE (DtlsGoCertificate, dtls_go_certificate, G_TYPE_TLS_CERTIFICATE)

static void dtls_go_certificate_init (DtlsGoCertificate *self) {}
static void dtls_go_certificate_class_init (DtlsGoCertificateClass *klass) {}
