// Building DOM: everything shown is made with DOM calls and textContent, never from HTML strings,
// so a node name or a provider's output can never become markup.

/** `el('td', { class: 'x' }, 'text', child)`: attributes by setAttribute, children as text or nodes. */
export function el(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === false || value === null) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

export function message(text, kind = 'muted') {
  return el('p', { class: kind, role: kind === 'error' ? 'alert' : undefined }, text);
}
