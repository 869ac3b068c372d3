package org.sessiongateway.servlet;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Session attribute values ↔ the JSON the gateway stores (README "Java app servers").
 *
 * JSON-native values — String, Integer, Long, Boolean, Double, and HashMap/LinkedHashMap/TreeMap (String keys) or
 * ArrayList/LinkedList of them — are stored as plain JSON, so apps in other languages sharing the login read them.
 * Where reading the JSON back would give another Java type (a Long that fits an int, a whole Double, a HashMap), a
 * type note is stored next to the value, as the attribute "@java:NAME", so the value comes back as the type it was
 * stored with. Any other Serializable value is stored by Java serialization as {"@java": class, "ser": base64}, a
 * marker other languages skip.
 */
final class AttributeCodec {
    /** Prefix of the attribute that holds a value's type note. */
    static final String TYPE_PREFIX = "@java:";
    static final String SERIALIZED_KEY = "@java";
    /** JavaScript numbers are doubles: a Long beyond 2^53 travels as a string (with a type note) so no digit is lost. */
    private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    private AttributeCodec() {
    }

    /** One attribute as it goes to the gateway: its JSON text and its type note (null when the JSON says it all). */
    static final class Encoded {
        final String json;
        final String typeNote;

        Encoded(String json, String typeNote) {
            this.json = json;
            this.typeNote = typeNote;
        }

        /** Bytes the gateway's size cap counts for it (name and value, type note included). */
        int size(String name) {
            int size = utf8Length(name) + utf8Length(json);
            if (typeNote != null) size += utf8Length(TYPE_PREFIX + name) + utf8Length(typeNote);
            return size;
        }

        @Override
        public boolean equals(Object other) {
            if (!(other instanceof Encoded)) return false;
            Encoded that = (Encoded) other;
            return json.equals(that.json) && (typeNote == null ? that.typeNote == null : typeNote.equals(that.typeNote));
        }

        @Override
        public int hashCode() {
            return json.hashCode();
        }
    }

    /** Thrown for a value that is neither JSON-native nor Serializable: it could not outlive this request. */
    static final class NotStorable extends IllegalArgumentException implements CodedError {
        NotStorable(String name, Object value) {
            super("SG_SERVLET_NOT_SERIALIZABLE: session attribute \"" + name + "\" is a " + value.getClass().getName()
                    + ", which is neither JSON (String, Number, Boolean, Map, List) nor Serializable; it cannot be kept in the gateway's session");
        }

        @Override
        public String code() {
            return "SG_SERVLET_NOT_SERIALIZABLE";
        }
    }

    static boolean storable(Object value) {
        return value instanceof Serializable;
    }

    static Encoded encode(String name, Object value) {
        if (!(value instanceof Map && ((Map<?, ?>) value).containsKey(SERIALIZED_KEY))) {
            StringBuilder json = new StringBuilder();
            Object note = native_(value, json);
            if (note != NOT_NATIVE) return new Encoded(json.toString(), note == null ? null : Json.write(note));
        }
        if (!(value instanceof Serializable)) throw new NotStorable(name, value);
        Map<String, Object> marker = new LinkedHashMap<String, Object>();
        marker.put(SERIALIZED_KEY, value.getClass().getName());
        marker.put("ser", Base64.getEncoder().encodeToString(serialize(name, value)));
        return new Encoded(Json.write(marker), null);
    }

    private static final Object NOT_NATIVE = new Object();

    /**
     * Append the JSON of a JSON-native value and return its type note (null: none needed), or NOT_NATIVE when the
     * value has to be serialized. Exact classes only: a subclass (Spring's FlashMap is a HashMap) has state of its own.
     */
    private static Object native_(Object value, StringBuilder json) {
        Class<?> type = value == null ? null : value.getClass();
        if (type == null || type == String.class || type == Boolean.class || type == Integer.class) {
            Json.write(value, json);
            return null;
        }
        if (type == Long.class) {
            long n = (Long) value;
            if (n > MAX_SAFE_INTEGER || n < -MAX_SAFE_INTEGER) {
                Json.quote(Long.toString(n), json);
                return "Long";
            }
            json.append(n);
            return n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE ? "Long" : null;
        }
        if (type == Double.class) {
            double d = (Double) value;
            if (Double.isNaN(d) || Double.isInfinite(d) || (d == 0 && 1 / d < 0)) return NOT_NATIVE;
            json.append(Json.number(d));
            // Written as digits, a whole double would read back as an Integer or a Long.
            return Json.isWholeBelow1e21(d) ? "Double" : null;
        }
        if (type == HashMap.class || type == LinkedHashMap.class || type == ConcurrentHashMap.class
                || (type == TreeMap.class && ((TreeMap<?, ?>) value).comparator() == null)) {
            return nativeMap((Map<?, ?>) value, json);
        }
        if (type == ArrayList.class || type == LinkedList.class) return nativeList((List<?>) value, json);
        return NOT_NATIVE;
    }

    private static Object nativeMap(Map<?, ?> map, StringBuilder json) {
        Map<String, Object> notes = new LinkedHashMap<String, Object>();
        json.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!(entry.getKey() instanceof String)) return NOT_NATIVE;
            if (!first) json.append(',');
            first = false;
            Json.quote((String) entry.getKey(), json);
            json.append(':');
            Object note = native_(entry.getValue(), json);
            if (note == NOT_NATIVE) return NOT_NATIVE;
            if (note != null) notes.put((String) entry.getKey(), note);
        }
        json.append('}');
        return containerNote(map.getClass() == LinkedHashMap.class ? null : map.getClass().getName(), notes);
    }

    private static Object nativeList(List<?> list, StringBuilder json) {
        Map<String, Object> notes = new LinkedHashMap<String, Object>();
        json.append('[');
        int i = 0;
        for (Object item : list) {
            if (i > 0) json.append(',');
            Object note = native_(item, json);
            if (note == NOT_NATIVE) return NOT_NATIVE;
            if (note != null) notes.put(Integer.toString(i), note);
            i++;
        }
        json.append(']');
        return containerNote(list.getClass() == ArrayList.class ? null : list.getClass().getName(), notes);
    }

    private static Object containerNote(String className, Map<String, Object> notes) {
        if (className == null && notes.isEmpty()) return null;
        Map<String, Object> note = new LinkedHashMap<String, Object>();
        if (className != null) note.put("c", className);
        if (!notes.isEmpty()) note.put("e", notes);
        return note;
    }

    /** Thrown when a stored value cannot be read back here (a class this app does not have, a changed class). */
    static final class Unreadable extends Exception {
        Unreadable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The Java value of a stored attribute: its parsed JSON and its type note's parsed JSON (or null). */
    static Object decode(Object json, Object note, ClassLoader loader) throws Unreadable {
        if (json instanceof Map && ((Map<?, ?>) json).containsKey(SERIALIZED_KEY)) {
            Object ser = ((Map<?, ?>) json).get("ser");
            if (!(ser instanceof String)) throw new Unreadable("a serialized value without its bytes", null);
            return deserialize((String) ser, loader);
        }
        return typed(json, note);
    }

    private static Object typed(Object json, Object note) throws Unreadable {
        if (note == null) return json;
        if ("Long".equals(note)) {
            if (json instanceof Number) return ((Number) json).longValue();
            if (json instanceof String) {
                try {
                    return Long.parseLong((String) json);
                } catch (NumberFormatException e) {
                    throw new Unreadable("a Long that is not a number", e);
                }
            }
        }
        if ("Double".equals(note) && json instanceof Number) return ((Number) json).doubleValue();
        if (note instanceof Map) return typedContainer(json, (Map<?, ?>) note);
        throw new Unreadable("a type note that does not fit its value", null);
    }

    @SuppressWarnings("unchecked")
    private static Object typedContainer(Object json, Map<?, ?> note) throws Unreadable {
        Object className = note.get("c");
        Map<?, ?> items = note.get("e") instanceof Map ? (Map<?, ?>) note.get("e") : new HashMap<Object, Object>();
        if (json instanceof Map) {
            Map<String, Object> out = (Map<String, Object>) newContainer(className, LinkedHashMap.class);
            for (Map.Entry<String, Object> entry : ((Map<String, Object>) json).entrySet()) {
                out.put(entry.getKey(), typed(entry.getValue(), items.get(entry.getKey())));
            }
            return out;
        }
        if (json instanceof List) {
            List<Object> out = (List<Object>) newContainer(className, ArrayList.class);
            int i = 0;
            for (Object item : (List<Object>) json) out.add(typed(item, items.get(Integer.toString(i++))));
            return out;
        }
        throw new Unreadable("a container type note on a scalar", null);
    }

    /** Only the container classes encode() writes notes for: a note can never make us instantiate anything else. */
    private static Object newContainer(Object className, Class<?> fallback) throws Unreadable {
        String name = className == null ? fallback.getName() : className.toString();
        if (name.equals(LinkedHashMap.class.getName())) return new LinkedHashMap<String, Object>();
        if (name.equals(HashMap.class.getName())) return new HashMap<String, Object>();
        if (name.equals(TreeMap.class.getName())) return new TreeMap<String, Object>();
        if (name.equals(ConcurrentHashMap.class.getName())) return new ConcurrentHashMap<String, Object>();
        if (name.equals(ArrayList.class.getName())) return new ArrayList<Object>();
        if (name.equals(LinkedList.class.getName())) return new LinkedList<Object>();
        throw new Unreadable("an unknown container class " + name, null);
    }

    private static byte[] serialize(String name, Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ObjectOutputStream out = new ObjectOutputStream(bytes);
            out.writeObject(value);
            out.close();
        } catch (IOException e) {
            // A Serializable object holding a field that is not (NotSerializableException names it).
            throw new NotStorableGraph(name, value, e);
        }
        return bytes.toByteArray();
    }

    /** A Serializable value whose object graph holds something that is not. */
    static final class NotStorableGraph extends IllegalArgumentException implements CodedError {
        NotStorableGraph(String name, Object value, IOException cause) {
            super("SG_SERVLET_NOT_SERIALIZABLE: session attribute \"" + name + "\" (" + value.getClass().getName()
                    + ") cannot be serialized: " + cause, cause);
        }

        @Override
        public String code() {
            return "SG_SERVLET_NOT_SERIALIZABLE";
        }
    }

    private static Object deserialize(String base64, ClassLoader loader) throws Unreadable {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new Unreadable("serialized bytes that are not base64", e);
        }
        try {
            ObjectInputStream in = new AppObjectInputStream(new ByteArrayInputStream(bytes), loader);
            try {
                return in.readObject();
            } finally {
                in.close();
            }
        } catch (ClassNotFoundException e) {
            throw new Unreadable("class " + e.getMessage() + " is not in this application", e);
        } catch (IOException e) {
            throw new Unreadable("cannot be deserialized here: " + e, e);
        } catch (RuntimeException e) {
            throw new Unreadable("cannot be deserialized here: " + e, e);
        }
    }

    /** Resolves classes with the web application's class loader (the filter's jar may sit in a shared lib folder). */
    private static final class AppObjectInputStream extends ObjectInputStream {
        private final ClassLoader loader;

        AppObjectInputStream(InputStream in, ClassLoader loader) throws IOException {
            super(in);
            this.loader = loader;
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            if (loader != null) {
                try {
                    return Class.forName(desc.getName(), false, loader);
                } catch (ClassNotFoundException e) {
                    // primitives and JDK classes resolve below
                }
            }
            return super.resolveClass(desc);
        }
    }

    static int utf8Length(String s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) bytes += 1;
            else if (c < 0x800) bytes += 2;
            else if (Character.isHighSurrogate(c)) {
                bytes += 4;
                i++;
            } else bytes += 3;
        }
        return bytes;
    }
}
