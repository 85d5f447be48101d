;;; skiff-eglot-test.el --- Eglot (Debian's elpa-eglot) against the real `skiff serve' -*- lexical-binding: t -*-

;; Run by tests/test_emacs.py: emacs --batch -l skiff-eglot-test.el, with
;;   SKIFF_TEST_WORKSPACE  a folder holding stats.py
;;   SKIFF_TEST_PYTHON     the Python that runs `-m skiff.server'
;;   SKIFF_MODELS_FILE     scripted test models (test/edit, test/broken)
;; The "user" is scripted: `completing-read' picks a code action by title and `y-or-n-p' answers
;; Eglot's edit confirmation.  Every check that fails ends Emacs with exit code 1 and a message.

;;; Code:

(require 'package)
(package-initialize)
(require 'eglot)
(require 'python)
(require 'cl-lib)

(defvar skiff-test-answer-edit t "What the scripted user answers to Eglot's y/n edit prompt.")
(defvar skiff-test-pick nil "The code action title (or its prefix) the scripted user picks.")
(defvar skiff-test-edit-prompts nil "Eglot's y/n prompts seen.")
(defvar skiff-test-picked nil "The code action titles offered, per pick.")

(defun skiff-test-fail (fmt &rest args)
  (let ((text (apply #'format fmt args)))
    (message "FAIL: %s" text)
    (message "--- *Messages* ---\n%s" (with-current-buffer "*Messages*" (buffer-string)))
    (when (eglot-current-server)
      (with-current-buffer (jsonrpc-events-buffer (eglot-current-server))
        (write-region nil nil (expand-file-name "../eglot-events.log" (getenv "SKIFF_TEST_WORKSPACE"))))
    (dolist (buffer (buffer-list))
      (when (string-match-p "stderr" (buffer-name buffer))
        (message "--- %s ---\n%s" (buffer-name buffer) (with-current-buffer buffer (buffer-string))))))
    (kill-emacs 1)))

(defun skiff-test-check (ok fmt &rest args)
  (unless ok (apply #'skiff-test-fail fmt args)))

(defun skiff-test-messages ()
  (with-current-buffer "*Messages*" (buffer-substring-no-properties (point-min) (point-max))))

(defun skiff-test-wait (pred what &optional timeout)
  "Let Emacs read the server's messages until PRED is non-nil (deadline TIMEOUT seconds)."
  (let ((deadline (+ (float-time) (or timeout 30))))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (skiff-test-check (funcall pred) "timed out waiting for %s" what)))

(defun skiff-test-wait-message (regexp what &optional since)
  "Wait until *Messages* after position SINCE matches REGEXP; return the match."
  (let ((since (or since 0)) found)
    (skiff-test-wait (lambda ()
                       (let ((text (skiff-test-messages)))
                         (when (string-match regexp text since)
                           (setq found (match-string 0 text)))))
                     what)
    found))

(defun skiff-test-mark ()
  "Where *Messages* ends now."
  (length (skiff-test-messages)))

;; The scripted user.
(advice-add 'y-or-n-p :override
            (lambda (prompt)
              (push prompt skiff-test-edit-prompts)
              skiff-test-answer-edit))
(advice-add 'completing-read :override
            (lambda (_prompt collection &rest _)
              (let* ((titles (mapcar (lambda (c) (if (consp c) (car c) c)) collection))
                     (hit (cl-find-if (lambda (title) (string-prefix-p skiff-test-pick title)) titles)))
                (push titles skiff-test-picked)
                (message "PICK %S -> %S" skiff-test-pick hit)
                (skiff-test-check hit "no code action %S among %S" skiff-test-pick titles)
                hit)))

(defun skiff-test-code-action (title &optional beg end)
  "Pick the code action starting with TITLE, as `M-x eglot-code-actions' and the minibuffer would."
  (let ((skiff-test-pick title)
        (last-nonmenu-event 13)) ; a key, not a mouse event: Eglot asks with completing-read
    (eglot-code-actions (or beg (point-min)) (or end (point-max)) nil t)))

(defun skiff-test-titles ()
  "The titles of every code action for the whole buffer (no pick)."
  (mapcar (lambda (a) (plist-get a :title)) (eglot-code-actions (point-min) (point-max) nil nil)))

(defun skiff-test-proposal-id (text)
  (skiff-test-check (string-match "a proposal is waiting (\\([0-9a-f]+\\):" text)
                    "no proposal id in %S" text)
  (match-string 1 text))

(defun skiff-test-propose ()
  "Ask for a docstring through the preset code action; wait for the announcement; return the id."
  (let ((mark (skiff-test-mark)))
    (skiff-test-code-action "Add docstring with agent")
    (skiff-test-proposal-id
     (skiff-test-wait-message "a proposal is waiting ([^)]*)[^\n]*" "the waiting proposal" mark))))

(defconst skiff-test-original (concat "def mean(xs):\n    return sum(xs) / len(xs)\n\n\n"
                                      "def total(xs):\n    return sum(xs)\n"))
(defconst skiff-test-docstring "    \"\"\"Return the mean.\"\"\"\n")

(let* ((dir (file-name-as-directory (getenv "SKIFF_TEST_WORKSPACE")))
       (python (getenv "SKIFF_TEST_PYTHON"))
       (file (expand-file-name "stats.py" dir)))
  (setq eglot-sync-connect 30
        eglot-connect-timeout 60
        jsonrpc-default-request-timeout 30
        make-backup-files nil)
  (find-file file)
  (python-mode)
  (eglot '(python-mode) `(transient . ,dir) 'eglot-lsp-server
         `(,python "-m" "skiff.server" :initializationOptions (:model "test/edit"))
         "python")
  (skiff-test-wait (lambda () (eglot-current-server)) "the Eglot connection")

  ;; 1. Code action -> proposal: nothing touches the buffer; the proposal is announced with its diff file.
  (let* ((id (skiff-test-propose))
         (diff-file (expand-file-name (concat "skiff/proposals/" id ".diff") (getenv "XDG_CACHE_HOME"))))
    (skiff-test-check (equal (buffer-string) skiff-test-original) "the buffer changed before review")
    (skiff-test-check (null skiff-test-edit-prompts) "Eglot was asked to edit before review")
    (skiff-test-check (file-exists-p diff-file) "no diff file %s" diff-file)
    (skiff-test-check (member (concat "Skiff: Accept proposal " id) (skiff-test-titles))
                      "no Accept action in %S" (skiff-test-titles))
    ;; 2. The review diff, shown in the editor (Eglot 1.9 has no window/showDocument: a message).
    (let ((mark (skiff-test-mark)))
      (skiff-test-code-action (concat "Skiff: Show diff of proposal " id))
      (skiff-test-wait-message (regexp-quote "+    \"\"\"Return the mean.\"\"\"") "the diff" mark))
    ;; 3. Accept: Eglot's y/n prompt says yes; the buffer gets the docstring.
    (let ((mark (skiff-test-mark)))
      (skiff-test-code-action (concat "Skiff: Accept proposal " id))
      (skiff-test-wait-message (concat "Skiff: proposal " id " applied") "the applied message" mark))
    (skiff-test-check (= 1 (length skiff-test-edit-prompts)) "prompts: %S" skiff-test-edit-prompts)
    (skiff-test-check (string-match-p (regexp-quote skiff-test-docstring) (buffer-string))
                      "the docstring is missing: %S" (buffer-string))
    (message "SKIFF-TEST accepted %s" id))

  ;; 4. Decline: "no" at Eglot's prompt is an info message that rejects the proposal.
  (set-buffer-modified-p nil)
  (erase-buffer)
  (insert skiff-test-original)
  (let* ((id (skiff-test-propose))
         (mark (skiff-test-mark)))
    (setq skiff-test-answer-edit nil)
    (skiff-test-code-action (concat "Skiff: Accept proposal " id))
    (let ((text (skiff-test-wait-message (concat "Server reports (type=\\([0-9]\\)): Skiff: proposal " id
                                                 " rejected[^\n]*")
                                         "the decline message" mark)))
      (skiff-test-check (string-match "type=3" text) "the decline is not an info message: %S" text))
    (skiff-test-check (equal (buffer-string) skiff-test-original) "a declined edit changed the buffer")
    (skiff-test-check (not (cl-some (lambda (title) (string-match-p id title)) (skiff-test-titles)))
                      "the rejected proposal lingers: %S" (skiff-test-titles))
    (message "SKIFF-TEST declined %s" id))

  ;; 5. "Ask agent…" cannot be asked in this Eglot: the presets are code actions, said once.
  (let ((mark (skiff-test-mark)))
    (skiff-test-code-action "Ask agent")
    (skiff-test-wait-message "presets are separate code actions" "the presets message" mark))
  ;; 6. A failed turn shows its reason.
  (jsonrpc-request (eglot-current-server) :skiff/setModel '(:model "test/broken"))
  (let ((mark (skiff-test-mark)))
    (skiff-test-code-action "Explain with agent")
    (let ((text (skiff-test-wait-message "Server reports (type=1): Skiff: [^\n]*connection refused[^\n]*"
                                         "the failed turn's reason" mark)))
      (message "SKIFF-TEST failed turn: %s" text)))

  (message "SKIFF-TEST ok")
  (kill-emacs 0))

;;; skiff-eglot-test.el ends here
