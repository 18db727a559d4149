// Package vectors holds test vectors that several packages' tests use, so
// each is written once. For tests only; see docs/vectors.md.
package vectors

// JSSDKRecoveryKey is matrix-js-sdk's backup recovery key (docs/vectors.md §5.2);
// it is the RFC 7748 "Alice" private key.
const JSSDKRecoveryKey = "EsTc LW2K PGiF wKEA 3As5 g5c4 BXwk qeeJ ZJV8 Q9fu gUMN UE4d"

// JSSDKBackup is matrix-js-sdk's CURVE25519_KEY_BACKUP_DATA session_data
// (docs/vectors.md §5.2), encrypted to JSSDKRecoveryKey.
// Field order matches pk.Message, so it converts to it.
var JSSDKBackup = struct{ Ciphertext, Ephemeral, MAC string }{
	Ephemeral: "/Bn0A4UMFwJaDDvh0aEk1XZj3k1IfgCxgFY9P9a0b14",
	MAC:       "5lxYBHQU80M",
	Ciphertext: "2z2M7CZ+azAiTHN1oFzZ3smAFFt+LEOYY6h3QO3XXGdw6YpNn/gpHDO6I/rgj1zNd4FoTmzcQgvKdU8kN20u5" +
		"BWRHxaHTZSlne5RxE6vUdREsBgZePglBNyG0AogR/PVdcrv/v18Y6rLM5O9SELmwbV63uV9Kuu/misMxoqbuqEdG7" +
		"uujyaEKtjlQsJ5MGPQOySyw7XrnesSwF6XWRMxcPGRV0xZr3s9PI350Wve3EncjRgJ9IGFru1bcptMqfXgPZkOyGvr" +
		"phHoFfoK7nY3xMEHUiaTRfRIjq8HNV4o8QY1qmWGnxNBQgOlL8MZlykjg3ULmQ3DtFfQPj/YYGS3jzxvC+EBjaafms" +
		"g+52CTeK3Rswu72PX450BnSZ1i3If4xWAUKvjTpeUg5aDLqttOv1pITolTJDw5W/SD+b5rjEKg1CFCHGEGE9wwV3NfQ" +
		"HVCQL+dfpd7Or0poy4dqKMAi3g0o3Tg7edIF8d5rREmxaALPyiie8PHD8mj/5Y0GLqrac4CD6+Mop7eUTzVovprjg",
}
