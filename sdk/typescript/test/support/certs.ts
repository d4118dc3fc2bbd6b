// Test certificates minted by Python's trustme (installed beside the server):
// a CA, a server certificate for localhost and 127.0.0.1, a client
// certificate, and an unrelated CA that trusts none of them.

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

export interface Certificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherCa: string;
}

const SCRIPT = `
import sys, trustme
out = sys.argv[1]
ca, other = trustme.CA(), trustme.CA()
server = ca.issue_cert("localhost", "127.0.0.1")
client = ca.issue_cert("client.example.com")
ca.cert_pem.write_to_path(out + "/ca.pem")
other.cert_pem.write_to_path(out + "/other-ca.pem")
open(out + "/server.pem", "wb").write(b"".join(p.bytes() for p in server.cert_chain_pems))
server.private_key_pem.write_to_path(out + "/server.key")
open(out + "/client.pem", "wb").write(b"".join(p.bytes() for p in client.cert_chain_pems))
client.private_key_pem.write_to_path(out + "/client.key")
`;

export async function makeCertificates(dir: string): Promise<Certificates> {
  await promisify(execFile)("python", ["-c", SCRIPT, dir]);
  return {
    ca: join(dir, "ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client.key"),
    otherCa: join(dir, "other-ca.pem"),
  };
}
