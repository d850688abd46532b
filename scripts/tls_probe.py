"""One TLS call to a live `ledge serve`, printed as one line: what a client with these files gets.

    tls_probe.py http  --url https://127.0.0.1:PORT --ca ca.pem [--cert c.pem --key c.key] [--token T]
    tls_probe.py grpc  --target 127.0.0.1:PORT --ca ca.pem [--cert c.pem --key c.key]

http: GET /v2 (the token's route) -> `http STATUS SERIAL`, where SERIAL is the server certificate's
serial number in hex (which certificate the server is serving), or `refused REASON` when the
handshake fails (REASON: OpenSSL's reason, e.g. CERTIFICATE_VERIFY_FAILED when this client does not
trust the server, TLSV13_ALERT_CERTIFICATE_REQUIRED when the server wants a client certificate).
grpc: ServerLive -> `grpc live` or `grpc refused CODE`. Python's own ssl and grpcio are the clients.
Exits 0 whenever it printed an outcome; 2 on bad arguments.
"""

import argparse
import http.client
import ssl
import sys
import urllib.parse


def probe_http(args):
    context = ssl.create_default_context(cafile=args.ca)
    if args.cert:
        context.load_cert_chain(args.cert, args.key)
    parts = urllib.parse.urlsplit(args.url)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=30)
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    try:
        connection.request("GET", "/v2", headers=headers)
        serial = connection.sock.getpeercert()["serialNumber"]  # verified, so the dict form is filled
        status = connection.getresponse().status
    except ssl.SSLError as error:
        return f"refused {error.reason}"
    except (ConnectionResetError, BrokenPipeError) as error:
        return f"refused {type(error).__name__}"
    finally:
        connection.close()
    return f"http {status} {serial}"


def probe_grpc(args):
    import grpc
    import tritonclient.grpc.service_pb2 as pb
    import tritonclient.grpc.service_pb2_grpc as rpc

    ca = open(args.ca, "rb").read()
    files = {}
    if args.cert:
        files = {"certificate_chain": open(args.cert, "rb").read(), "private_key": open(args.key, "rb").read()}
    channel = grpc.secure_channel(args.target, grpc.ssl_channel_credentials(root_certificates=ca, **files))
    try:
        live = rpc.GRPCInferenceServiceStub(channel).ServerLive(pb.ServerLiveRequest(), timeout=30).live
        return "grpc live" if live else "grpc not live"
    except grpc.RpcError as error:
        return f"grpc refused {error.code().name}"
    finally:
        channel.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("protocol", choices=["http", "grpc"])
    parser.add_argument("--url")
    parser.add_argument("--target")
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--token")
    args = parser.parse_args()
    print(probe_http(args) if args.protocol == "http" else probe_grpc(args))


if __name__ == "__main__":
    sys.exit(main())
