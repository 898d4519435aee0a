// The catalogue's grid of cards (ui/card_grid.py): one Streamlit element for a page's cards.
//
// data (JSON, as bytes) = {cards: [{id, href, title, facts, price, img, alt, sold, heart}], noPhoto, sold}
//   href  the item's address relative to the page ("item?item=7", after the shop's filters)
//   img   the thumbnail's address relative to the page ("app/static/thumbs/<hash>.jpg") or a
//         data URL; null: no photo
//   heart null (none on this card) or {on, label}: filled or outlined, its tooltip
//
// A card is one link: a click opens the item the way Streamlit's own page links do, in the
// same tab and without reloading the app (the address is pushed, then Streamlit is told the
// way the browser's Back button tells it). A click with a modifier key, a middle click or
// "Open in new tab" follow the link as any link. The heart is a button beside the link (a
// button inside a link is not allowed), sent to the server as the "heart" trigger.
//
// User text (titles, brands) is set as text, never as HTML.

const HEART_PATH =
  "M12 21.35l-1.45-1.32C5.4 15.36 2 12.28 2 8.5 2 5.42 4.42 3 7.5 3c1.74 0 3.41.81 " +
  "4.5 2.09C13.09 3.81 14.76 3 16.5 3 19.58 3 22 5.42 22 8.5c0 3.78-3.4 6.86-8.55 11.54L12 " +
  "21.35z";
const SVG = "http://www.w3.org/2000/svg";

function heartIcon() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", HEART_PATH);
  svg.appendChild(path);
  return svg;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

// Open the item in this tab as a Streamlit page link does: push its address, then tell
// Streamlit as the Back button would (it reads the address and runs that page with its
// query). Should a Streamlit release stop doing so, nothing on the page would change: if
// the app has not stirred within 8 s (no element added, removed or restyled: a run started
// by the click changes them at once, however long it then takes), the link is followed as
// a plain link, a page load.
function openInPlace(event, link) {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const href = link.href;
  let stirred = false;
  const watch = new MutationObserver(() => {
    stirred = true;
    watch.disconnect();
  });
  watch.observe(document.body, { subtree: true, childList: true, attributes: true });
  window.history.pushState(null, "", href);
  window.dispatchEvent(new PopStateEvent("popstate", { state: null }));
  window.setTimeout(() => {
    watch.disconnect();
    if (!stirred && window.location.href === href) window.location.assign(href);
  }, 8000);
}

// A card: one link (photo, title, facts, price and the "Sold" badge, so that a screen
// reader reading the link hears all of it), then the heart beside it.
function card(c, labels, grid, setTriggerValue) {
  const item = el("article", "card");
  const link = el("a", "open");
  link.href = c.href;
  link.addEventListener("click", (event) => openInPlace(event, link));
  if (c.img) {
    const img = el("img", "photo");
    img.src = c.img;
    img.alt = c.alt;
    img.loading = "lazy";
    img.decoding = "async";
    link.appendChild(img);
  } else {
    link.appendChild(el("div", "photo none", labels.noPhoto));
  }
  const title = el("span", "title", c.title);
  title.id = `card-title-${c.id}`;
  link.appendChild(title);
  link.appendChild(el("span", "facts", c.facts));
  const price = el("span", "price-row");
  price.appendChild(el("span", "price", c.price));
  if (c.sold) price.appendChild(el("span", "sold", labels.sold));
  link.appendChild(price);
  item.appendChild(link);
  if (c.heart) {
    const button = el("button", "heart");
    button.type = "button";
    button.setAttribute("aria-describedby", title.id); // which item: its title
    button.appendChild(heartIcon());
    button.addEventListener("click", () => {
      // one change at a time for the whole grid (its hearts share one trigger, which
      // keeps the last value sent) until the page's next run draws them again, or for 5 s.
      // Not the disabled attribute: that would take the keyboard's focus from the heart.
      if (performance.now() < (grid.busyUntil || 0)) return;
      grid.busyUntil = performance.now() + 5000;
      grid.dataset.busy = "true";
      setTriggerValue("heart", { item: c.id, on: !item.heartOn });
    });
    const foot = el("div", "foot");
    foot.appendChild(button);
    item.appendChild(foot);
  }
  return item;
}

// What the heart shows (filled or not) and says: changed in place, so that the keyboard's
// focus stays on it after a click.
function showHeart(item, heart) {
  const button = item.querySelector("button.heart");
  if (!button) return;
  item.heartOn = heart.on;
  button.classList.toggle("on", heart.on);
  button.title = heart.label;
  button.setAttribute("aria-label", heart.label);
}

function signature(c, labels) {
  // everything a card draws but its heart's state
  return JSON.stringify([c.href, c.title, c.facts, c.price, c.img, c.alt, c.sold, !!c.heart,
    labels.noPhoto, labels.sold]);
}

export default function (component) {
  const { parentElement, setTriggerValue } = component;
  // the server sends its JSON as bytes (ui/card_grid.py)
  const data = JSON.parse(new TextDecoder().decode(component.data));
  const grid = parentElement.querySelector(".grid");
  const labels = { noPhoto: data.noPhoto, sold: data.sold };
  // the cards by item: one unchanged but for its heart is kept (its photo not decoded
  // again, the focus kept), others drawn anew; the order is the data's, nodes moved only
  // where it changed
  const kept = new Map();
  for (const node of grid.children) kept.set(node.itemId, node);
  const nodes = (data.cards || []).map((c) => {
    const sig = signature(c, labels);
    let node = kept.get(c.id);
    kept.delete(c.id);
    if (!node || node.signature !== sig) {
      if (node) node.remove();
      node = card(c, labels, grid, setTriggerValue);
      node.itemId = c.id;
      node.signature = sig;
    }
    if (c.heart) showHeart(node, c.heart);
    return node;
  });
  for (const gone of kept.values()) gone.remove();
  nodes.forEach((node, n) => {
    if (grid.children[n] !== node) grid.insertBefore(node, grid.children[n] || null);
  });
  grid.busyUntil = 0;
  delete grid.dataset.busy;
  grid.dataset.drawn = "true"; // for the browser tests: the cards are on the page
}
