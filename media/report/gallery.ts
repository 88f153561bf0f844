// Example inputs with the label and the prediction, misclassified first, filtered by corruption. Thumbnails are
// PNG data: URLs made by the server; anything else is shown as a placeholder, never loaded.
import type { GalleryItem, ReportModel } from '../../src/shared/report-model';
import { h, section, select } from './dom';
import { conditionName, displayName } from './format';

const PAGE = 48;
const DATA_URL = /^data:image\/(?:png|jpeg|webp|gif);base64,[A-Za-z0-9+/]+={0,2}$/;

export function isImageDataUrl(value: string): boolean {
  return DATA_URL.test(value);
}

function thumbnail(item: GalleryItem): HTMLElement {
  const verdict = item.correct ? 'correct' : 'misclassified';
  let picture: HTMLElement;
  if (isImageDataUrl(item.image)) {
    const img = h('img', { className: 'rl-thumb-img' });
    img.decoding = 'async';
    img.alt = `${item.label}, ${conditionName(item.corruption, item.severity)}`;
    img.src = item.image;
    picture = img;
  } else {
    picture = h('div', { className: 'rl-thumb-img rl-thumb-missing', text: 'no image' });
  }
  const outcome = item.correct
    ? h('div', { className: 'rl-thumb-pred rl-good' }, h('span', { className: 'rl-mark', text: '✓', attrs: { 'aria-hidden': 'true' } }), h('span', { text: item.prediction }))
    : h('div', { className: 'rl-thumb-pred rl-bad' }, h('span', { className: 'rl-mark', text: '✗', attrs: { 'aria-hidden': 'true' } }), h('span', { text: item.prediction }));
  return h(
    'figure',
    { className: `rl-thumb rl-thumb-${verdict}` },
    picture,
    h(
      'figcaption',
      {},
      h('div', { className: 'rl-thumb-condition', text: conditionName(item.corruption, item.severity) }),
      h('div', { className: 'rl-thumb-label' }, h('span', { className: 'rl-dim', text: 'label ' }), h('span', { text: item.label })),
      outcome,
      h('span', { className: 'rl-visually-hidden', text: `${verdict}, sample ${item.sampleId}` }),
    ),
  );
}

export function renderGallery(model: ReportModel): HTMLElement | null {
  if (model.gallery.length === 0) return null;
  // Misclassified first, otherwise in the server's order.
  const items = [...model.gallery].map((item, index) => ({ item, index })).sort((a, b) => Number(a.item.correct) - Number(b.item.correct) || a.index - b.index).map((e) => e.item);
  const corruptions = [...new Set(items.map((i) => i.corruption))];
  let filter = '';
  let onlyWrong = false;
  let shown = PAGE;
  const grid = h('div', { className: 'rl-gallery', attrs: { role: 'list' } });
  const count = h('p', { className: 'rl-note', attrs: { role: 'status', 'aria-live': 'polite' } });
  const more = h('button', { className: 'rl-button rl-button-secondary', attrs: { type: 'button' } });

  const update = () => {
    const matching = items.filter((i) => (filter === '' || i.corruption === filter) && (!onlyWrong || !i.correct));
    const wrong = matching.filter((i) => !i.correct).length;
    const visible = matching.slice(0, shown);
    grid.replaceChildren(
      ...visible.map((item) => {
        const element = thumbnail(item);
        element.setAttribute('role', 'listitem');
        return element;
      }),
    );
    count.textContent = `${matching.length} example${matching.length === 1 ? '' : 's'}, ${wrong} misclassified${visible.length < matching.length ? ` (showing ${visible.length})` : ''}`;
    more.hidden = visible.length >= matching.length;
    more.textContent = `Show ${Math.min(PAGE, matching.length - visible.length)} more`;
  };
  more.addEventListener('click', () => {
    shown += PAGE;
    update();
  });

  const filterControl = select(
    'Corruption',
    [{ value: '', text: 'All' }, ...corruptions.map((c) => ({ value: c, text: displayName(c) }))],
    '',
    (value) => {
      filter = value;
      shown = PAGE;
      update();
    },
  );
  const checkbox = h('input', { attrs: { type: 'checkbox' } });
  checkbox.addEventListener('change', () => {
    onlyWrong = checkbox.checked;
    shown = PAGE;
    update();
  });
  const wrongControl = h('label', { className: 'rl-control rl-check' }, checkbox, h('span', { text: 'Misclassified only' }));
  update();
  return section('rl-gallery', 'Examples', h('div', { className: 'rl-toolbar' }, filterControl, wrongControl, count), grid, h('div', { className: 'rl-more' }, more));
}
