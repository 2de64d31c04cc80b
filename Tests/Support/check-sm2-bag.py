#!/usr/bin/env python3
"""Checks an sm2-sm3 bag without dossierd's code (SM2ProfileInteropTests):

  check-sm2-bag.py <bag-dir> <signer-cert.pem>

- the SignerInfo of signatures/tagmanifest-sm3.txt.p7s names SM3 (1.2.156.10197.1.401) and
  SM2-with-SM3 (1.2.156.10197.1.501), its messageDigest is `openssl dgst -sm3` of
  tagmanifest-sm3.txt, and its signature over the signed attributes (re-encoded as a SET)
  verifies with PyPI's pure-Python gmssl (SM2 with the GM/T 0009 ID 1234567812345678);
- every line of manifest-sm3.txt and tagmanifest-sm3.txt matches `openssl dgst -sm3`;
- bagit.py validates the bag, told that sm3 is a checksum algorithm (its hashlib has SM3
  through OpenSSL; bagit.py 1.9 looks only for hashlib.algorithms_guaranteed).
Prints one line per failure and exits 1 on any.
"""
import base64, hashlib, os, subprocess, sys

import bagit
from gmssl import sm2

SM3_OID = bytes.fromhex("06082a811ccf55018311")
SM2_SM3_OID = bytes.fromhex("06082a811ccf55018375")


def tlv(data, pos):
    """(tag, header length, content length) of the DER element at pos."""
    tag, first = data[pos], data[pos + 1]
    if first < 0x80:
        return tag, 2, first
    n = first & 0x7F
    return tag, 2 + n, int.from_bytes(data[pos + 2:pos + 2 + n], "big")


def children(data, pos):
    tag, head, length = tlv(data, pos)
    out, at, end = [], pos + head, pos + head + length
    while at < end:
        t, h, l = tlv(data, at)
        out.append((t, at, h, l))
        at += h + l
    return out


def sm3(path):
    out = subprocess.run(["openssl", "dgst", "-sm3", "-r", path], check=True, capture_output=True, text=True).stdout
    return out.split()[0]


def main():
    bag, cert = sys.argv[1], sys.argv[2]
    failures = []
    pem = open(os.path.join(bag, "signatures/tagmanifest-sm3.txt.p7s")).read()
    der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
    signed_data = children(der, children(der, 0)[1][1])[0][1]  # ContentInfo [0] -> SignedData
    signer_infos = children(der, signed_data)[-1]
    signer_info = children(der, signer_infos[1])[0][1]
    fields = children(der, signer_info)
    attrs = next(f for f in fields if f[0] == 0xA0)
    digest_alg, sig_alg, signature = fields[2], fields[4], fields[5]
    if der[digest_alg[1]:digest_alg[1] + digest_alg[2] + digest_alg[3]].find(SM3_OID) < 0:
        failures.append("digestAlgorithm is not SM3")
    if der[sig_alg[1]:sig_alg[1] + sig_alg[2] + sig_alg[3]].find(SM2_SM3_OID) < 0:
        failures.append("signatureAlgorithm is not SM2-with-SM3")
    signed = b"\x31" + der[attrs[1] + 1:attrs[1] + attrs[2] + attrs[3]]
    if bytes.fromhex(sm3(os.path.join(bag, "tagmanifest-sm3.txt"))) not in signed:
        failures.append("messageDigest is not the SM3 of tagmanifest-sm3.txt")
    value = der[signature[1] + signature[2]:signature[1] + signature[2] + signature[3]]
    spki = subprocess.run(
        "openssl x509 -in '%s' -pubkey -noout | openssl pkey -pubin -outform DER" % cert,
        shell=True, check=True, capture_output=True).stdout
    verifier = sm2.CryptSM2(private_key=None, public_key=spki[-64:].hex(), asn1=True)
    try:
        verified = verifier.verify_with_sm3(value.hex(), signed)
    except (TypeError, ValueError):
        # gmssl's pure-Python point arithmetic raises instead of answering False when a wrong
        # key leads it to the point at infinity: that is a failed verification too.
        verified = False
    if not verified:
        failures.append("gmssl: the SM2 signature over the signed attributes does not verify")
    for manifest in ["manifest-sm3.txt", "tagmanifest-sm3.txt"]:
        for line in open(os.path.join(bag, manifest)):
            digest, path = line.rstrip("\n").split("  ", 1)
            if sm3(os.path.join(bag, path)) != digest:
                failures.append("%s: %s does not match openssl dgst -sm3" % (manifest, path))
    bagit.CHECKSUM_ALGOS = set(bagit.CHECKSUM_ALGOS) | {"sm3"}
    try:
        bagit.Bag(bag).validate()
    except bagit.BagError as error:
        failures.append("bagit.py: %s" % error)
    for failure in failures:
        print(failure)
    sys.exit(1 if failures else 0)


main()
