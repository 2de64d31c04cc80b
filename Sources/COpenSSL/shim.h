// What Swift cannot import from OpenSSL 3 directly: function-like macros and the typed
// sk_X509_* stack helpers. Each wrapper is one line over the documented macro.
#ifndef DOSSIER_COPENSSL_SHIM_H
#define DOSSIER_COPENSSL_SHIM_H

// pem.h must come before cms.h: cms.h declares PEM_read_bio_CMS/PEM_write_bio_CMS only
// `#ifdef OPENSSL_PEM_H`; otherwise C would call them through implicit int-returning
// declarations and truncate the pointers.
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

static inline void dossier_openssl_free(void *p) { OPENSSL_free(p); }

static inline long dossier_bio_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

static inline STACK_OF(X509) *dossier_sk_x509_new(void) { return sk_X509_new_null(); }
static inline int dossier_sk_x509_push(STACK_OF(X509) *s, X509 *x) { return sk_X509_push(s, x); }
static inline int dossier_sk_x509_num(const STACK_OF(X509) *s) { return sk_X509_num(s); }
static inline X509 *dossier_sk_x509_value(const STACK_OF(X509) *s, int i) { return sk_X509_value(s, i); }
static inline void dossier_sk_x509_pop_free(STACK_OF(X509) *s) { sk_X509_pop_free(s, X509_free); }
static inline void dossier_sk_x509_free(STACK_OF(X509) *s) { sk_X509_free(s); }

/// RFC 2253 subject rendering that keeps UTF-8 (Chinese authority names) unescaped.
static inline unsigned long dossier_xn_flags_utf8(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }

/// Verify callback of the revocation pass over a CMS signer: validity periods were already
/// checked at the signing time, so a certificate expired since then still gets its CRL lookup.
static int dossier_ignore_validity_period(int ok, X509_STORE_CTX *ctx) {
    int error = X509_STORE_CTX_get_error(ctx);
    if (!ok && (error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID)) return 1;
    return ok;
}
static inline void dossier_store_ctx_ignore_validity_period(X509_STORE_CTX *ctx) {
    X509_STORE_CTX_set_verify_cb(ctx, dossier_ignore_validity_period);
}

/// Verify callback of the revocation pass over a CMS signer that a trusted RFC 3161 token
/// dates (app data: the token's genTime, a `time_t`): validity periods as in
/// `dossier_ignore_validity_period`, and a certificate of the chain revoked after that time is
/// not revoked for this signature, since the token proves it existed while the certificate was
/// good. Revoked at or before it, by the CRL entry's revocationDate or an earlier
/// invalidityDate (RFC 5280 5.3.2), it stays revoked; so does an entry that cannot be read.
static int dossier_revoked_after_trusted_time(int ok, X509_STORE_CTX *ctx) {
    int error = X509_STORE_CTX_get_error(ctx);
    if (!ok && (error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID)) return 1;
    if (ok || error != X509_V_ERR_CERT_REVOKED) return ok;
    const time_t *trusted = X509_STORE_CTX_get_app_data(ctx);
    X509_CRL *crl = X509_STORE_CTX_get0_current_crl(ctx);
    X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
    X509_REVOKED *entry = NULL;
    if (!trusted || !crl || !cert || X509_CRL_get0_by_cert(crl, &entry, cert) != 1 || !entry) return 0;
    time_t at = *trusted;
    // X509_cmp_time: 1 when the date is after `at`, -1 when at or before it, 0 when unreadable.
    if (X509_cmp_time(X509_REVOKED_get0_revocationDate(entry), &at) != 1) return 0;
    int critical = -1;
    ASN1_GENERALIZEDTIME *invalidity = X509_REVOKED_get_ext_d2i(entry, NID_invalidity_date, &critical, NULL);
    if (!invalidity) return critical == -1;
    int after = X509_cmp_time(invalidity, &at) == 1;
    ASN1_GENERALIZEDTIME_free(invalidity);
    return after;
}
/// Installs `dossier_revoked_after_trusted_time` with `trusted`, which must outlive the verification.
static inline void dossier_store_ctx_revoked_after(X509_STORE_CTX *ctx, const time_t *trusted) {
    X509_STORE_CTX_set_app_data(ctx, (void *)trusted);
    X509_STORE_CTX_set_verify_cb(ctx, dossier_revoked_after_trusted_time);
}

/// The certificate of `store` whose subject is `name` (a reference the caller frees), or NULL.
static inline X509 *dossier_store_find_certificate(X509_STORE *store, const X509_NAME *name) {
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!ctx) return NULL;
    X509 *found = NULL;
    if (X509_STORE_CTX_init(ctx, store, NULL, NULL) == 1) {
        X509_OBJECT *object = X509_STORE_CTX_get_obj_by_subject(ctx, X509_LU_X509, (X509_NAME *)name);
        if (object) {
            found = X509_OBJECT_get0_X509(object);
            if (found && X509_up_ref(found) != 1) found = NULL;
            X509_OBJECT_free(object);
        }
    }
    X509_STORE_CTX_free(ctx);
    return found;
}

/// RFC 3161 verification steps (TS_VFY_* are shifts Swift does not import).
static inline int dossier_ts_vfy_signature(void) { return TS_VFY_VERSION | TS_VFY_SIGNATURE; }
static inline int dossier_ts_vfy_data(void) { return TS_VFY_VERSION | TS_VFY_DATA; }

static inline int dossier_sk_num(const void *s) { return OPENSSL_sk_num((const OPENSSL_STACK *)s); }
static inline void *dossier_sk_value(const void *s, int i) { return OPENSSL_sk_value((const OPENSSL_STACK *)s, i); }

#endif
