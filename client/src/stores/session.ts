// Who is logged in on this page: the token (kept per page role, so a desk and a chair console in
// one browser do not share it), the interface language, and why the last login failed or ended.
import { defineStore } from 'pinia'
import { ref, computed } from 'vue'
import { normalizeCode } from '@shared/credentials'
import type { Lang } from '@shared/errors'
import type { LoginResult } from '@shared/protocol'
import * as api from '../api'
import { i18n, localeFor } from '../i18n'
import zhCN from '../i18n/zh-CN'
import en from '../i18n/en'
import { roleAllowed, tokenKey, type RolePage } from '../logic/page'
import { takeCodeFromUrl } from '../logic/url'
import type { ClientError } from '../logic/errors'

const LANG_KEY = 'congress.lang'

function readLang(): Lang {
  try {
    return localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh'
  } catch {
    return 'zh'
  }
}

/** A refusal decided here rather than by the server, in both languages like the server's. */
function localError(zh: string, en: string): ClientError {
  return { ok: false, code: 'INVALID_CODE', message: zh, messages: { zh, en } }
}

export const useSessionStore = defineStore('session', () => {
  const page = ref<RolePage | null>(null)
  const login = ref<LoginResult | null>(null)
  const lang = ref<Lang>(readLang())
  const error = ref<ClientError | null>(null)
  const busy = ref(false)

  const token = computed(() => login.value?.token ?? null)

  function persist(): void {
    if (!page.value) return
    try {
      if (login.value) localStorage.setItem(tokenKey(page.value), JSON.stringify(login.value))
      else localStorage.removeItem(tokenKey(page.value))
    } catch {
      // Private mode without storage: the session lasts until the page is closed.
    }
  }

  function init(p: RolePage): void {
    page.value = p
    applyLang(lang.value)
    try {
      const raw = localStorage.getItem(tokenKey(p))
      const saved = raw ? (JSON.parse(raw) as LoginResult) : null
      if (saved?.token && roleAllowed(p, saved.role)) login.value = saved
    } catch {
      login.value = null
    }
  }

  async function logIn(raw: string): Promise<boolean> {
    if (!page.value || busy.value) return false
    const code = normalizeCode(raw)
    if (!code) {
      error.value = localError(zhCN.login.badFormat, en.login.badFormat)
      return false
    }
    busy.value = true
    error.value = null
    try {
      const res = await api.login(code, lang.value)
      if (!res.ok) {
        error.value = res
        return false
      }
      if (!roleAllowed(page.value, res.data.role)) {
        // The server has just started a session for this card; end it rather than leave it live.
        await api.logout(res.data.token)
        const role = res.data.role
        error.value = localError(
          zhCN.login.wrongRole.replace('{role}', zhCN.roles[role]),
          en.login.wrongRole.replace('{role}', en.roles[role]),
        )
        return false
      }
      login.value = res.data
      persist()
      return true
    } finally {
      busy.value = false
    }
  }

  /** A ?code=… in the address logs in once, and is removed first so a reload cannot replay it. */
  async function logInFromUrl(): Promise<void> {
    const { code, cleanUrl } = takeCodeFromUrl(window.location.href)
    if (!code) return
    window.history.replaceState(window.history.state, '', cleanUrl)
    await logIn(code)
  }

  async function logOut(): Promise<void> {
    const t = token.value
    login.value = null
    error.value = null
    persist()
    if (t) await api.logout(t)
  }

  /** The server ended the session (replaced, revoked, expired): back to the login screen, saying why. */
  function end(reason: ClientError | { code: string; message: string; messages: { zh: string; en: string } }): void {
    login.value = null
    error.value = { ok: false, code: reason.code as ClientError['code'], message: reason.message, messages: reason.messages }
    persist()
  }

  function applyLang(l: Lang): void {
    i18n.global.locale.value = localeFor(l)
    document.documentElement.lang = l === 'en' ? 'en' : 'zh-CN'
  }

  function setLang(l: Lang): void {
    lang.value = l
    applyLang(l)
    try {
      localStorage.setItem(LANG_KEY, l)
    } catch {
      // Not kept across reloads; harmless.
    }
  }

  function toggleLang(): void {
    setLang(lang.value === 'zh' ? 'en' : 'zh')
  }

  return { page, login, token, lang, error, busy, init, logIn, logInFromUrl, logOut, end, setLang, toggleLang }
})
