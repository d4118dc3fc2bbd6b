package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// kubeconfigSecretData is what vcluster's syncer stores in Secret vc-<name>:
// a kubeconfig and its parts. The certificates are real (a fresh CA and a
// client certificate it signed) though nothing serves them: kwok pods run
// no API server.
func kubeconfigSecretData(release, server string) (map[string][]byte, error) {
	caKey, caCert, caPEM, err := newCertificate("vcluster-ca-"+release, nil, nil)
	if err != nil {
		return nil, err
	}
	clientKey, _, clientPEM, err := newCertificate("kube-admin", caCert, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(clientKey)
	if err != nil {
		return nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return nil, err
	}
	context := "vcluster_" + release
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
contexts:
- name: %[1]s
  context:
    cluster: %[1]s
    user: %[1]s
current-context: %[1]s
users:
- name: %[1]s
  user:
    client-certificate-data: %[4]s
    client-key-data: %[5]s
`, context, server, b64(caPEM), b64(clientPEM), b64(keyPEM))
	return map[string][]byte{
		"config":                []byte(config),
		"certificate-authority": caPEM,
		"client-certificate":    clientPEM,
		"client-key":            keyPEM,
		"token":                 []byte(hex.EncodeToString(token)),
	}, nil
}

// newCertificate makes a key and a certificate for it: a self-signed CA when
// parent is nil, else a client certificate signed by parent.
func newCertificate(commonName string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, *x509.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, nil, err
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().AddDate(1, 0, 0),
	}
	signer, signerKey := template, key
	if parent == nil {
		template.IsCA = true
		template.BasicConstraintsValid = true
		template.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	} else {
		template.Subject.Organization = []string{"system:masters"}
		template.KeyUsage = x509.KeyUsageDigitalSignature
		template.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, template, signer, &key.PublicKey, signerKey)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	return key, cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func b64(data []byte) string {
	return base64.StdEncoding.EncodeToString(data)
}
