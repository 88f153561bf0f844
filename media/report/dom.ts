/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// DOM building helpers. Text goes in only as text nodes (Node.append(string) / textContent): no HTML parsing
// anywhere in the app, so untrusted strings from the model (labels, names, paths) can never become markup.

export type Child = Node | string | null | undefined | false;

export interface Props {
  readonly className?: string;
  /** Set as textContent. */
  readonly text?: string;
  /** Plain attributes (never event handlers, never URLs from the model). */
  readonly attrs?: Readonly<Record<string, string>>;
}

/** Creates an element; string children become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  if (props.attrs) {
    for (const [name, value] of Object.entries(props.attrs)) {
      if (/^on/i.test(name)) throw new Error(`event handler attribute '${name}' is not allowed`);
      element.setAttribute(name, value);
    }
  }
  if (props.text !== undefined) element.textContent = props.text;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** A section with a heading and an id for the table of contents. */
export function section(id: string, title: string, ...children: Child[]): HTMLElement {
  return h('section', { className: 'rl-section', attrs: { id, 'aria-labelledby': `${id}-title` } }, h('h2', { text: title, attrs: { id: `${id}-title` } }), ...children);
}

/** A short explanatory paragraph. */
export function note(text: string, className = 'rl-note'): HTMLParagraphElement {
  return h('p', { className, text });
}

/** A labelled <select>; `onChange` gets the chosen value. */
export function select(label: string, options: readonly { readonly value: string; readonly text: string }[], value: string, onChange: (value: string) => void): HTMLLabelElement {
  const control = h('select');
  for (const option of options) {
    const element = h('option', { text: option.text });
    element.value = option.value;
    control.append(element);
  }
  control.value = value;
  control.addEventListener('change', () => onChange(control.value));
  return h('label', { className: 'rl-control' }, h('span', { text: label }), control);
}
