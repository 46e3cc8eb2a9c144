// The viewer page of a show that has ended: the show again, as it happened. The public replay
// socket (no token) draws the room as it was at the start (title, recording, what was on air);
// "Watch the replay" plays the recording with chat, pins, polls and offers arriving at their
// moments. Loaded only once a show has ended, so the live page's budget does not carry it; its
// words are its own for the same reason.
import { el } from "./live.js";
import { lang } from "./i18n.js";

const WORDS = {
  en: { watch: "Watch the replay", again: "Watch again", none: "It never went live: there is no replay." },
  id: { watch: "Tonton tayangan ulang", again: "Tonton lagi", none: "Siaran ini tidak pernah tayang: tidak ada tayangan ulang." },
}[lang];
const TRIES = 5; // the viewers hear of the end a moment before SQL has it: ask again, a second apart
const pause = () => new Promise((done) => setTimeout(done, 1000));

/** Put "Watch the replay" in the ended banner of ``view`` (a RoomView) for ``roomId``. */
export async function offerReplay(view, roomId) {
  const banner = view.parts.banner;
  const ended = banner.textContent; // "This show has ended", in the viewer's language
  const say = (...parts) => { banner.hidden = false; banner.firstChild.replaceChildren(el("strong", {}, ended), " ", ...parts); };
  const button = el("button", { type: "button", class: "primary", "data-testid": "watch-replay", onclick: () => open(true) }, `▶ ${WORDS.watch}`);
  let socket = null;
  let startMs = null; // go-live: offsets count from it, and countdowns read the show's own clock
  const joined = Boolean(view.room); // watched to the end: the embed heard "ready" at the welcome
  view.replay = true; // the show is over: no LIVE badge or viewer count, nothing to claim, vote or enter
  if (joined) view.renderAll();
  // Nothing is said, asked or accepted in a show that is over: no box invites it.
  const { composer, reactions, qa, rules } = view.parts;
  composer.hidden = reactions.hidden = true;
  qa.querySelector("form")?.remove();
  rules.querySelector("[data-testid=accept-rules]")?.remove();

  for (let i = 0; i < TRIES && startMs === null; i++) {
    const r = await fetch(`/v1/rooms/${encodeURIComponent(roomId)}`).catch(() => null);
    const room = r?.ok ? await r.json() : null;
    if (room?.status === "ended" && !joined) view.embed?.emit("ready", { room_id: room.id, title: room.title, status: room.status });
    if (room?.status === "ended" && !room.went_live_at) return say(WORDS.none);
    if (room?.status === "ended") startMs = room.went_live_at;
    else await pause();
  }
  if (startMs === null) return;

  /** The room at the start; with ``run``, the show from there at its own pace. */
  function open(run, tries = TRIES) {
    socket?.close();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = socket = new WebSocket(`${scheme}://${location.host}/v1/rooms/${encodeURIComponent(roomId)}/replay/ws?from_ms=0`, ["live.v1.json"]);
    let began = performance.now();
    let started = false;
    ws.onmessage = (msg) => {
      for (const m of JSON.parse(msg.data)) {
        if (m.type === "replay.start") {
          started = true;
          view.replayNow = () => startMs + (view.video && !view.video.paused ? view.video.currentTime * 1000 : performance.now() - began);
          view.reset({ ...m.room, status: "ended" });
          if (!run) {
            ws.close();
            say(button);
            continue;
          }
          began = performance.now();
          banner.hidden = true;
          if (view.video) { // the live page's player (looping) is kept: it starts over, once
            view.video.loop = false;
            view.video.currentTime = 0;
            view.video.play().catch(() => {}); // muted, so a browser lets it start
          }
        } else if (m.type === "replay.end") {
          ws.close();
          button.textContent = `↺ ${WORDS.again}`;
          say(button);
        } else if (m.type !== "room.status") { // the room stays "ended": nothing here is live
          view.apply(m);
        }
      }
    };
    ws.onclose = () => { if (!started && socket === ws && tries > 1) pause().then(() => open(run, tries - 1)); };
  }

  // Watched live to the end: the room is on screen as it ended, the button waits beside the banner.
  if (joined) say(button);
  else open(false);
}
