package org.sessiongateway.servlet;

import java.util.LinkedHashMap;
import java.util.Map;

/** One attribute as the token carried it: parsed JSON, its type note, and the encoding to compare changes with. */
final class StoredAttribute {
    final Object json;
    final Object note;
    final AttributeCodec.Encoded encoded;

    private StoredAttribute(Object json, Object note) {
        this.json = json;
        this.note = note;
        this.encoded = new AttributeCodec.Encoded(Json.write(json), note == null ? null : Json.write(note));
    }

    boolean isSerialized() {
        return json instanceof Map && ((Map<?, ?>) json).containsKey(AttributeCodec.SERIALIZED_KEY);
    }

    /** The token's `data`, type notes joined to their values ("@java:NAME" entries are not attributes). */
    static Map<String, StoredAttribute> fromTokenData(Map<String, Object> data) {
        Map<String, StoredAttribute> stored = new LinkedHashMap<String, StoredAttribute>();
        for (Map.Entry<String, Object> e : data.entrySet()) {
            if (GatewaySession.isReserved(e.getKey()) || e.getValue() == null) continue;
            stored.put(e.getKey(), new StoredAttribute(e.getValue(), data.get(AttributeCodec.TYPE_PREFIX + e.getKey())));
        }
        return stored;
    }

    /** Every field of the token's data as JSON text (the starting point the write-back is a difference from). */
    static Map<String, String> fieldsOf(Map<String, Object> data) {
        Map<String, String> fields = new LinkedHashMap<String, String>();
        for (Map.Entry<String, Object> e : data.entrySet()) fields.put(e.getKey(), Json.write(e.getValue()));
        return fields;
    }
}
