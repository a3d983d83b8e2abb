// The call page's player: a transcript time plays the recording from that turn. Served from /static so the
// page's Content-Security-Policy can keep inline scripts out.
"use strict";
(() => {
  const audio = document.querySelector("section.audio audio");
  if (!audio) return;
  for (const button of document.querySelectorAll("ol.lines button.time")) {
    button.addEventListener("click", () => {
      audio.currentTime = Number(button.dataset.start);
      audio.play();
    });
  }
  // space plays and pauses from anywhere on the page but a form field or a button (which space presses)
  document.addEventListener("keydown", (event) => {
    if (event.key !== " " || event.target.closest("input, select, textarea, button, a, audio")) return;
    event.preventDefault();
    if (audio.paused) audio.play(); else audio.pause();
  });
})();
