// civicwatch console: small conveniences only. Every page works without
// this file; the Content-Security-Policy allows no inline script, so all
// script lives here.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Rules lab: put the caret where the rule stopped compiling. The server
  // gives a byte offset into the UTF-8 rule; the textarea counts UTF-16
  // units, so convert by encoding prefixes.
  var rule = document.getElementById("lab-rule");
  if (rule && rule.dataset.errorOffset) {
    var bytes = parseInt(rule.dataset.errorOffset, 10);
    var enc = new TextEncoder();
    var text = rule.value, i = 0;
    while (i < text.length && enc.encode(text.slice(0, i + 1)).length <= bytes) i++;
    rule.focus();
    rule.setSelectionRange(i, Math.min(i + 1, text.length));
  }
  // Rules lab: picking another topic loads that topic's rule, rather than
  // testing the rule on screen as the other topic's candidate.
  var topic = document.getElementById("lab-topic");
  if (topic && rule) {
    topic.addEventListener("change", function () {
      rule.value = "";
      topic.form.submit();
    });
  }
});
