package org.sessiongateway.servlet;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Map;

/**
 * The init-param `principal`: the session attribute that means "logged in", with an optional bean-property path.
 * `loginVO.id` reads getId() (or isId(), a public field id, or a Map's "id") of the attribute `loginVO`. Attribute
 * names may hold dots themselves, so the longest leading part that names an attribute wins.
 */
final class PrincipalPath {
    private final String text;

    private PrincipalPath(String text) {
        this.text = text;
    }

    static PrincipalPath parse(String text) {
        if (text.startsWith(".") || text.endsWith(".") || text.contains("..")) return null;
        return new PrincipalPath(text);
    }

    /** What the session's attributes are read through (the codec decodes on demand). */
    interface Attributes {
        boolean has(String name);

        Object get(String name);
    }

    /** The name of the attribute the path starts at, when the session has it. */
    String attributeIn(Attributes attributes) {
        for (int end = text.length(); end > 0; end = text.lastIndexOf('.', end - 1)) {
            String name = text.substring(0, end);
            if (attributes.has(name)) return name;
        }
        return null;
    }

    /** The principal the session holds, or null when it holds none (no attribute, a null or empty property). */
    String principalOf(Attributes attributes) {
        String name = attributeIn(attributes);
        if (name == null) return null;
        Object value = attributes.get(name);
        if (name.length() < text.length()) {
            for (String property : text.substring(name.length() + 1).split("\\.")) {
                if (value == null) return null;
                value = property(value, property);
            }
        }
        if (value == null) return null;
        String principal = value.toString();
        return principal.isEmpty() ? null : principal;
    }

    private static Object property(Object bean, String name) {
        if (bean instanceof Map) return ((Map<?, ?>) bean).get(name);
        String suffix = Character.toUpperCase(name.charAt(0)) + name.substring(1);
        for (String getter : new String[] { "get" + suffix, "is" + suffix }) {
            Method method = findMethod(bean.getClass(), getter);
            if (method != null) {
                try {
                    return method.invoke(bean);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("principal: " + bean.getClass().getName() + "." + getter + "() failed", e);
                }
            }
        }
        for (Class<?> type = bean.getClass(); type != null; type = type.getSuperclass()) {
            try {
                Field field = type.getDeclaredField(name);
                if (!Modifier.isStatic(field.getModifiers())) {
                    field.setAccessible(true);
                    return field.get(bean);
                }
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("principal: field " + name + " of " + bean.getClass().getName() + " cannot be read", e);
            }
        }
        throw new IllegalStateException("principal: " + bean.getClass().getName() + " has no property \"" + name + "\"");
    }

    private static Method findMethod(Class<?> type, String name) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            try {
                Method method = c.getDeclaredMethod(name);
                if (Modifier.isStatic(method.getModifiers()) || method.getReturnType() == void.class) continue;
                method.setAccessible(true);
                return method;
            } catch (NoSuchMethodException e) {
                // look in the superclass
            } catch (RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return text;
    }
}
