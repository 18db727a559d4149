#!/usr/bin/env python3
"""A vodozemac peer for the interop tests (tests/helpers/vodozemac.mjs).

Speaks JSON lines: one request per line on stdin,
    {"id": 1, "cmd": "account_new", ...arguments}
and one response per line on stdout,
    {"id": 1, "ok": true, "result": ...}  or
    {"id": 1, "ok": false, "error": {"type": "<exception class>", "message": "..."}}

Accounts and sessions stay in this process; requests name them by the
handle strings returned when they were made. Binary values travel as
unpadded standard base64, Olm messages as {"type": 0 | 1, "body": base64},
plaintexts as JSON strings (UTF-8 on the vodozemac side).
"""

import base64
import importlib.metadata
import json
import sys

import vodozemac as vz

objects = {}
_counter = 0


def put(obj, prefix):
    global _counter
    _counter += 1
    handle = f"{prefix}{_counter}"
    objects[handle] = obj
    return handle


def get(handle, cls):
    obj = objects.get(handle)
    if not isinstance(obj, cls):
        raise LookupError(f"no {cls.__name__} with handle {handle!r}")
    return obj


def b64e(data):
    return base64.b64encode(bytes(data)).decode("ascii").rstrip("=")


def b64d(text):
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def olm_out(message):
    message_type, body = message.to_parts()
    return {"type": message_type, "body": b64e(body)}


def olm_in(message):
    return vz.AnyOlmMessage.from_parts(message["type"], b64d(message["body"]))


def key_map(keys):
    return {key_id: key.to_base64() for key_id, key in keys.items()}


def text_in(value):
    return value.encode("utf-8")


def text_out(data):
    return bytes(data).decode("utf-8")


def account_info(handle, account):
    return {
        "account": handle,
        "curve25519": account.curve25519_key.to_base64(),
        "ed25519": account.ed25519_key.to_base64(),
        "one_time_keys": key_map(account.one_time_keys),
        "fallback_key": key_map(account.fallback_key),
    }


# --- commands -----------------------------------------------------------------


def ping(_):
    return {"vodozemac": importlib.metadata.version("vodozemac")}


def account_new(_):
    account = vz.Account()
    return account_info(put(account, "account"), account)


def account_info_cmd(r):
    return account_info(r["account"], get(r["account"], vz.Account))


def account_generate_one_time_keys(r):
    account = get(r["account"], vz.Account)
    account.generate_one_time_keys(r["count"])
    return key_map(account.one_time_keys)


def account_generate_fallback_key(r):
    account = get(r["account"], vz.Account)
    account.generate_fallback_key()
    return key_map(account.fallback_key)


def account_mark_keys_as_published(r):
    get(r["account"], vz.Account).mark_keys_as_published()
    return None


def account_sign(r):
    return get(r["account"], vz.Account).sign(text_in(r["message"])).to_base64()


def account_create_outbound_session(r):
    account = get(r["account"], vz.Account)
    session = account.create_outbound_session(
        vz.Curve25519PublicKey.from_base64(r["identity_key"]),
        vz.Curve25519PublicKey.from_base64(r["one_time_key"]),
    )
    return {"session": put(session, "session"), "session_id": session.session_id}


def account_create_inbound_session(r):
    account = get(r["account"], vz.Account)
    message = olm_in(r["message"]).to_pre_key()
    session, plaintext = account.create_inbound_session(
        vz.Curve25519PublicKey.from_base64(r["identity_key"]), message
    )
    return {
        "session": put(session, "session"),
        "session_id": session.session_id,
        "plaintext": text_out(plaintext),
    }


def account_from_libolm_pickle(r):
    account = vz.Account.from_libolm_pickle(r["pickle"], text_in(r["key"]))
    return account_info(put(account, "account"), account)


def session_encrypt(r):
    return olm_out(get(r["session"], vz.Session).encrypt(text_in(r["plaintext"])))


def session_decrypt(r):
    return text_out(get(r["session"], vz.Session).decrypt(olm_in(r["message"])))


def session_from_libolm_pickle(r):
    session = vz.Session.from_libolm_pickle(r["pickle"], text_in(r["key"]))
    return {"session": put(session, "session"), "session_id": session.session_id}


def ed25519_verify(r):
    key = vz.Ed25519PublicKey.from_base64(r["key"])
    try:
        key.verify_signature(text_in(r["message"]), vz.Ed25519Signature.from_base64(r["signature"]))
    except vz.SignatureException:
        return False
    return True


def group_new(_):
    group = vz.GroupSession()
    return {
        "group": put(group, "group"),
        "session_id": group.session_id,
        "session_key": group.session_key.to_base64(),
        "message_index": group.message_index,
    }


def group_encrypt(r):
    group = get(r["group"], vz.GroupSession)
    index = group.message_index
    message = group.encrypt(text_in(r["plaintext"]))
    return {"ciphertext": message.to_base64(), "message_index": index}


def group_session_key(r):
    group = get(r["group"], vz.GroupSession)
    return {"session_key": group.session_key.to_base64(), "message_index": group.message_index}


def inbound_info(handle, inbound):
    return {
        "inbound": handle,
        "session_id": inbound.session_id,
        "first_known_index": inbound.first_known_index,
    }


def inbound_group_new(r):
    inbound = vz.InboundGroupSession(vz.SessionKey(r["session_key"]))
    return inbound_info(put(inbound, "inbound"), inbound)


def inbound_group_import(r):
    inbound = vz.InboundGroupSession.import_session(vz.ExportedSessionKey(r["exported"]))
    return inbound_info(put(inbound, "inbound"), inbound)


def inbound_group_from_libolm_pickle(r):
    inbound = vz.InboundGroupSession.from_libolm_pickle(r["pickle"], text_in(r["key"]))
    return inbound_info(put(inbound, "inbound"), inbound)


def inbound_group_decrypt(r):
    inbound = get(r["inbound"], vz.InboundGroupSession)
    decrypted = inbound.decrypt(vz.MegolmMessage.from_base64(r["message"]))
    return {"plaintext": text_out(decrypted.plaintext), "message_index": decrypted.message_index}


def inbound_group_export(r):
    inbound = get(r["inbound"], vz.InboundGroupSession)
    exported = inbound.export_at(r["index"])
    if exported is None:
        raise LookupError(f"cannot export at index {r['index']}")
    return exported.to_base64()


def free(r):
    objects.pop(r["handle"], None)
    return None


COMMANDS = {
    "ping": ping,
    "account_new": account_new,
    "account_info": account_info_cmd,
    "account_generate_one_time_keys": account_generate_one_time_keys,
    "account_generate_fallback_key": account_generate_fallback_key,
    "account_mark_keys_as_published": account_mark_keys_as_published,
    "account_sign": account_sign,
    "account_create_outbound_session": account_create_outbound_session,
    "account_create_inbound_session": account_create_inbound_session,
    "account_from_libolm_pickle": account_from_libolm_pickle,
    "session_encrypt": session_encrypt,
    "session_decrypt": session_decrypt,
    "session_from_libolm_pickle": session_from_libolm_pickle,
    "ed25519_verify": ed25519_verify,
    "group_new": group_new,
    "group_encrypt": group_encrypt,
    "group_session_key": group_session_key,
    "inbound_group_new": inbound_group_new,
    "inbound_group_import": inbound_group_import,
    "inbound_group_from_libolm_pickle": inbound_group_from_libolm_pickle,
    "inbound_group_decrypt": inbound_group_decrypt,
    "inbound_group_export": inbound_group_export,
    "free": free,
}


def handle(line):
    request_id = None
    try:
        request = json.loads(line)
        request_id = request.get("id")
        command = COMMANDS.get(request.get("cmd"))
        if command is None:
            raise KeyError(f"unknown command {request.get('cmd')!r}")
        return {"id": request_id, "ok": True, "result": command(request)}
    except Exception as e:  # reported to the caller, which decides
        return {"id": request_id, "ok": False, "error": {"type": type(e).__name__, "message": str(e)}}


def main():
    sys.stdin.reconfigure(encoding="utf-8")
    sys.stdout.reconfigure(encoding="utf-8")
    for line in sys.stdin:
        if not line.strip():
            continue
        sys.stdout.write(json.dumps(handle(line)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
